import {
  ACCEPT_BUTTON_LABEL,
  ACTIVATE_LINK_LABEL,
  ACTIVATION_EMAIL_SUBJECT,
  type LetterLanguage,
} from '../letters/letter-text.ts';

/**
 * The words of the activation page, in the letter's and the email's terms: the same button
 * label, link label and email title, and the same names of the accounts one signs in with.
 */
export interface ActivationWording {
  title: string;
  otherLanguage: { label: string; language: LetterLanguage };
  intro: string;
  noToken: string;
  pinLabel: string;
  pinHint: string;
  accountLabel: string;
  accountHint: string;
  termsTitle: string;
  terms: readonly string[];
  acceptTerms: string;
  button: string;
  errors: { terms: string; pin: string; account: string };
  activatedTitle: string;
  activated(firstName: string | null, account: string): string;
  wrongPin(attemptsLeft: number, lockMinutes: number): string;
  lockedUntil(time: string): string;
  lockedUntilReset: string;
  expired: string;
  revoked: string;
  alreadyActivated: string;
  unknownLink: string;
  refusedTitle: string;
}

const nbsp = '\u00a0';
// French elides « de » before a vowel: le dossier d’Annie, le dossier de Leah.
const ofName = (name: string): string => (/^[aeiouyàâäéèêëîïôöùûü]/i.test(name) ? `d’${name}` : `de ${name}`);

export const activationWording: Record<LetterLanguage, ActivationWording> = {
  en: {
    title: 'Activate your myPass connection',
    otherLanguage: { label: 'Français', language: 'fr' },
    intro: `You opened the “${ACTIVATE_LINK_LABEL.en}” link of the email “${ACTIVATION_EMAIL_SUBJECT.en}”. Enter the PIN from the letter the school gave you, and the account you will use to see the record.`,
    noToken: `This page opens from the “${ACTIVATE_LINK_LABEL.en}” link in your activation email. Open that link again, or ask the school for a new letter.`,
    pinLabel: 'Your 4-digit PIN',
    pinHint: 'Printed on your letter. It is never sent by email.',
    accountLabel: 'The account you sign in with',
    accountHint: 'The email address of your Education Account, or of a Google or Microsoft account.',
    termsTitle: 'Terms of use',
    terms: [
      'This connection is for the person named in the letter only: the student, or the parent or guardian the school set it up for.',
      'You will use it only to see this student’s record, keep your PIN and your account private, and tell the school if the record is wrong or if you should no longer have access.',
      'Every activation is recorded with the account used and the time.',
    ],
    acceptTerms: 'I have read and I accept the terms of use.',
    button: ACCEPT_BUTTON_LABEL.en,
    errors: {
      terms: 'Please accept the terms of use to activate the connection.',
      pin: 'The PIN is the 4 digits printed on your letter.',
      account: 'Enter the email address of the account you sign in with (at most 200 characters).',
    },
    activatedTitle: 'Your connection is activated',
    activated: (firstName, account) =>
      `When you sign in to myPass with ${account}, you can now see ${firstName === null ? 'the student' : firstName}’s record.`,
    wrongPin: (left, minutes) =>
      `The PIN is not right. You have ${left} ${left === 1 ? 'attempt' : 'attempts'} left before the connection is locked for ${minutes} minutes.`,
    lockedUntil: (time) => `Too many wrong PINs: the connection is locked until ${time}. Try again after that.`,
    lockedUntilReset: 'Too many wrong PINs: this PIN is locked. Ask the school for a new PIN.',
    expired: 'This activation request has expired. Ask the school for a new PIN.',
    revoked:
      'This connection was deleted by the school and can no longer be activated. Ask the school if you need access.',
    alreadyActivated:
      'This connection is already activated. If you cannot sign in, reset the password of the account you activated it with (Education Account, Google or Microsoft).',
    unknownLink:
      'This activation link is not valid: it may have been replaced by a newer email. Use the link in the newest email, or ask the school.',
    refusedTitle: 'The connection was not activated',
  },
  fr: {
    title: 'Activer votre connexion myPass',
    otherLanguage: { label: 'English', language: 'en' },
    intro: `Vous avez ouvert le lien «${nbsp}${ACTIVATE_LINK_LABEL.fr}${nbsp}» du courriel «${nbsp}${ACTIVATION_EMAIL_SUBJECT.fr}${nbsp}». Entrez le NIP de la lettre que l’école vous a remise, et le compte avec lequel vous consulterez le dossier.`,
    noToken: `Cette page s’ouvre à partir du lien «${nbsp}${ACTIVATE_LINK_LABEL.fr}${nbsp}» de votre courriel d’activation. Ouvrez ce lien de nouveau, ou demandez une nouvelle lettre à l’école.`,
    pinLabel: 'Votre NIP à 4 chiffres',
    pinHint: 'Imprimé sur votre lettre. Il n’est jamais envoyé par courriel.',
    accountLabel: 'Le compte avec lequel vous vous connectez',
    accountHint: 'L’adresse courriel de votre compte Éducation, ou d’un compte Google ou Microsoft.',
    termsTitle: 'Conditions d’utilisation',
    terms: [
      `Cette connexion est réservée à la personne nommée dans la lettre${nbsp}: l’élève, ou le parent ou tuteur pour qui l’école l’a créée.`,
      'Vous l’utiliserez uniquement pour consulter le dossier de cet élève, garderez votre NIP et votre compte confidentiels, et avertirez l’école si le dossier comporte une erreur ou si vous ne devriez plus y avoir accès.',
      'Chaque activation est enregistrée avec le compte utilisé et l’heure.',
    ],
    acceptTerms: 'J’ai lu et j’accepte les conditions d’utilisation.',
    button: ACCEPT_BUTTON_LABEL.fr,
    errors: {
      terms: 'Veuillez accepter les conditions d’utilisation pour activer la connexion.',
      pin: 'Le NIP est formé des 4 chiffres imprimés sur votre lettre.',
      account: 'Entrez l’adresse courriel du compte avec lequel vous vous connectez (200 caractères au plus).',
    },
    activatedTitle: 'Votre connexion est activée',
    activated: (firstName, account) =>
      `En vous connectant à myPass avec ${account}, vous pouvez maintenant consulter le dossier ${firstName === null ? 'de l’élève' : ofName(firstName)}.`,
    wrongPin: (left, minutes) =>
      `Le NIP n’est pas le bon. Il vous reste ${left} ${left === 1 ? 'essai' : 'essais'} avant que la connexion soit verrouillée pendant ${minutes}${nbsp}minutes.`,
    lockedUntil: (time) =>
      `Trop de NIP erronés${nbsp}: la connexion est verrouillée jusqu’au ${time}. Réessayez après ce moment.`,
    lockedUntilReset: `Trop de NIP erronés${nbsp}: ce NIP est verrouillé. Demandez un nouveau NIP à l’école.`,
    expired: 'Cette demande d’activation a expiré. Demandez un nouveau NIP à l’école.',
    revoked:
      'Cette connexion a été supprimée par l’école et ne peut plus être activée. Adressez-vous à l’école si vous avez besoin d’un accès.',
    alreadyActivated:
      'Cette connexion est déjà activée. Si vous ne pouvez pas vous connecter, réinitialisez le mot de passe du compte avec lequel vous l’avez activée (compte Éducation, Google ou Microsoft).',
    unknownLink: `Ce lien d’activation n’est pas valide${nbsp}: il a peut-être été remplacé par un courriel plus récent. Utilisez le lien du courriel le plus récent, ou adressez-vous à l’école.`,
    refusedTitle: 'La connexion n’a pas été activée',
  },
};
