import {
  ACCEPT_BUTTON_LABEL,
  ACTIVATE_LINK_LABEL,
  ACTIVATION_EMAIL_SUBJECT,
  type LetterLanguage,
  PIN_STEP,
  quoteLabel,
  SIGN_IN_STEP,
} from '../letters/letter-text.ts';

/**
 * The words of the activation page, in the letter's and the email's terms: the same button
 * label, link label and email title, and the same steps (sign in, then the PIN).
 */
export interface ActivationWording {
  title: string;
  otherLanguage: { label: string; language: LetterLanguage };
  intro: string;
  /** Sign in, then the PIN: as the letter and the email say them. */
  steps: readonly [string, string];
  signInWith: string;
  noToken: string;
  toProviderTitle: string;
  toProvider(provider: string): string;
  toProviderLink(provider: string): string;
  providerUnavailable(provider: string): string;
  signInFailedTitle: string;
  signInFailed: string;
  signedIn(provider: string, email: string | null): string;
  otherAccount: string;
  pinLabel: string;
  pinHint: string;
  termsTitle: string;
  terms: readonly string[];
  acceptTerms: string;
  button: string;
  errors: { terms: string; pin: string };
  activatedTitle: string;
  activated(firstName: string | null, provider: string, email: string | null): string;
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
const link = { en: quoteLabel('en', ACTIVATE_LINK_LABEL.en), fr: quoteLabel('fr', ACTIVATE_LINK_LABEL.fr) };
const email = { en: quoteLabel('en', ACTIVATION_EMAIL_SUBJECT.en), fr: quoteLabel('fr', ACTIVATION_EMAIL_SUBJECT.fr) };
const pinStep = (language: LetterLanguage): string =>
  `${PIN_STEP[language].before}${quoteLabel(language, ACCEPT_BUTTON_LABEL[language])}${PIN_STEP[language].after}`;

export const activationWording: Record<LetterLanguage, ActivationWording> = {
  en: {
    title: 'Activate your myPass connection',
    otherLanguage: { label: 'Français', language: 'fr' },
    intro: `You opened the ${link.en} link of the email ${email.en}. To activate the connection:`,
    steps: [SIGN_IN_STEP.en, pinStep('en')],
    signInWith: 'Sign in with',
    noToken: `This page opens from the ${link.en} link in your activation email. Open that link again, or ask the school for a new letter.`,
    toProviderTitle: 'Signing in',
    toProvider: (provider) => `Opening the sign-in page of ${provider}…`,
    toProviderLink: (provider) => `Continue to ${provider}`,
    providerUnavailable: (provider) =>
      `The sign-in with ${provider} cannot be reached right now. Try again in a few minutes, or sign in another way.`,
    signInFailedTitle: 'You are not signed in',
    signInFailed: `The sign-in did not go through, or it took too long. Open the ${link.en} link of the email again and sign in again.`,
    signedIn: (provider, address) =>
      address === null ? `You are signed in with ${provider}.` : `You are signed in with ${provider}: ${address}.`,
    otherAccount: `Not the account you want to use? Open the ${link.en} link of the email again and sign in with another one.`,
    pinLabel: 'Your 4-digit PIN',
    pinHint: 'Printed on your letter. It is never sent by email.',
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
    },
    activatedTitle: 'Your connection is activated',
    activated: (firstName, provider, address) =>
      `When you sign in to myPass with ${provider}${address === null ? '' : ` (${address})`}, you can now see ${firstName === null ? 'the student' : firstName}’s record.`,
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
    intro: `Vous avez ouvert le lien ${link.fr} du courriel ${email.fr}. Pour activer la connexion${nbsp}:`,
    steps: [SIGN_IN_STEP.fr, pinStep('fr')],
    signInWith: 'Se connecter avec',
    noToken: `Cette page s’ouvre à partir du lien ${link.fr} de votre courriel d’activation. Ouvrez ce lien de nouveau, ou demandez une nouvelle lettre à l’école.`,
    toProviderTitle: 'Connexion',
    toProvider: (provider) => `Ouverture de la page de connexion de ${provider}…`,
    toProviderLink: (provider) => `Continuer vers ${provider}`,
    providerUnavailable: (provider) =>
      `La connexion avec ${provider} est impossible pour le moment. Réessayez dans quelques minutes, ou connectez-vous autrement.`,
    signInFailedTitle: 'Vous n’êtes pas connecté',
    signInFailed: `La connexion n’a pas abouti, ou elle a pris trop de temps. Ouvrez de nouveau le lien ${link.fr} du courriel et connectez-vous de nouveau.`,
    signedIn: (provider, address) =>
      address === null
        ? `Vous êtes connecté avec ${provider}.`
        : `Vous êtes connecté avec ${provider}${nbsp}: ${address}.`,
    otherAccount: `Ce n’est pas le compte que vous voulez utiliser${nbsp}? Ouvrez de nouveau le lien ${link.fr} du courriel et connectez-vous avec un autre compte.`,
    pinLabel: 'Votre NIP à 4 chiffres',
    pinHint: 'Imprimé sur votre lettre. Il n’est jamais envoyé par courriel.',
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
    },
    activatedTitle: 'Votre connexion est activée',
    activated: (firstName, provider, address) =>
      `En vous connectant à myPass avec ${provider}${address === null ? '' : ` (${address})`}, vous pouvez maintenant consulter le dossier ${firstName === null ? 'de l’élève' : ofName(firstName)}.`,
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
