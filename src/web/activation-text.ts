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
  skipLink: string;
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
  /** Above the messages that bring the form back: each message links to its field. */
  errorSummaryTitle: string;
  termsTitle: string;
  terms: readonly string[];
  acceptTerms: string;
  button: string;
  errors: { terms: string; pin: string };
  activatedTitle: string;
  activated(firstName: string | null): string;
  nextTitle: string;
  /** Where to go once activated: myPass, with the account just used. */
  next(provider: string, email: string | null): readonly string[];
  wrongPin(attemptsLeft: number, lockMinutes: number): string;
  /** `time` as `readableMoment` writes it in the page's language. */
  lockedUntil(time: string): string;
  lockedUntilReset: string;
  expired: string;
  revoked: string;
  alreadyActivatedTitle: string;
  alreadyActivated: readonly string[];
  unknownLink: string;
  refusedTitle: string;
  /** The pages of the listener's guards: a form refused (its cookie lost), too many posts, no such page, a fault. */
  formRefusedTitle: string;
  formRefused: string;
  backToLink: string;
  backToPin: string;
  reopenLink: string;
  tooManyTitle: string;
  tooMany(seconds: number): string;
  notFoundTitle: string;
  failedTitle: string;
  failed: string;
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
    skipLink: 'Skip to the content',
    intro: `You opened the ${link.en} link of the email ${email.en}. To activate the connection:`,
    steps: [SIGN_IN_STEP.en, pinStep('en')],
    signInWith: 'Sign in with',
    noToken:
      `This page opens from the ${link.en} link in your activation email. Open that link again, or ask ` +
      `the school for a new letter.`,
    toProviderTitle: 'Signing in',
    toProvider: (provider) => `Opening the sign-in page of ${provider}…`,
    toProviderLink: (provider) => `Continue to ${provider}`,
    providerUnavailable: (provider) =>
      `The sign-in with ${provider} cannot be reached right now. Try again in a few minutes, or sign in another way.`,
    signInFailedTitle: 'You are not signed in',
    signInFailed:
      `The sign-in did not go through, or it took too long. Open the ${link.en} link of the email ` +
      `again and sign in again.`,
    signedIn: (provider, address) =>
      address === null ? `You are signed in with ${provider}.` : `You are signed in with ${provider}: ${address}.`,
    otherAccount:
      `Not the account you want to use? ` +
      `Open the ${link.en} link of the email again ` +
      `and sign in with another one.`,
    pinLabel: 'Your 4-digit PIN',
    pinHint: 'Printed on your letter. It is never sent by email.',
    errorSummaryTitle: 'There is a problem',
    termsTitle: 'Terms of use',
    terms: [
      'This connection is for the person named in the letter only: the student, or the parent or guardian the ' +
        'school set it up for.',
      'You will use it only to see this student’s record, keep your PIN and your account private, and tell the ' +
        'school if the record is wrong or if you should no longer have access.',
      'Every activation is recorded with the account used and the time.',
    ],
    acceptTerms: 'I have read and I accept the terms of use.',
    button: ACCEPT_BUTTON_LABEL.en,
    errors: {
      terms: 'Please accept the terms of use to activate the connection.',
      pin: 'The PIN is the 4 digits printed on your letter.',
    },
    activatedTitle: 'Your connection is activated',
    activated: (firstName) => `You can now see ${firstName === null ? 'the student' : firstName}’s record in myPass.`,
    nextTitle: 'What’s next',
    next: (provider, address) => [
      `Go to myPass and sign in with ${provider}${address === null ? '' : ` (${address})`}: the account you ` +
        `used on this page.`,
      'You no longer need the PIN or the activation email. You can close this page.',
    ],
    wrongPin: (left, minutes) =>
      `The PIN is not right. You have ${left} ${left === 1 ? 'attempt' : 'attempts'} left before the connection ` +
      `is locked for ${minutes} minutes.`,
    // A time that ends in "a.m." or "p.m." ends the sentence with its own period.
    lockedUntil: (time) =>
      `Too many wrong PINs: the connection is locked until ${time}${time.endsWith('.') ? '' : '.'} Try again ` +
      `after that, or ask the school for a new PIN.`,
    lockedUntilReset: 'Too many wrong PINs: this PIN is locked. Ask the school for a new PIN.',
    expired: 'This activation request has expired. Ask the school for a new PIN.',
    revoked:
      'This connection was deleted by the school and can no longer be activated. Ask the school if you need access.',
    alreadyActivatedTitle: 'Your connection is already activated',
    alreadyActivated: [
      'This connection is already activated: there is nothing more to do here.',
      'Go to myPass and sign in with the account you activated it with. If you cannot sign in, reset the ' +
        'password of that account (Education Account, Google or Microsoft).',
    ],
    unknownLink:
      'This activation link is not valid: it may have been replaced by a newer email. Use the link in the ' +
      'newest email, or ask the school.',
    refusedTitle: 'The connection was not activated',
    formRefusedTitle: 'Your form was not sent',
    formRefused:
      'This page was open for too long, or your browser did not keep the cookie it needs, so nothing was done. ' +
      'Go back to your link and try again.',
    backToLink: 'Back to your activation link',
    backToPin: 'Back to the PIN step',
    reopenLink: `Open the ${link.en} link of your activation email again.`,
    tooManyTitle: 'Too many attempts',
    tooMany: (seconds) =>
      `Too many forms were sent from this address. Wait ${seconds} ${seconds === 1 ? 'second' : 'seconds'}, ` +
      `then go back and try again.`,
    notFoundTitle: 'Page not found',
    failedTitle: 'Something went wrong',
    failed: 'The page could not be shown because of a problem on our side. Try again in a few minutes.',
  },
  fr: {
    title: 'Activer votre connexion myPass',
    otherLanguage: { label: 'English', language: 'en' },
    skipLink: 'Aller au contenu',
    intro: `Vous avez ouvert le lien ${link.fr} du courriel ${email.fr}. Pour activer la connexion${nbsp}:`,
    steps: [SIGN_IN_STEP.fr, pinStep('fr')],
    signInWith: 'Se connecter avec',
    noToken:
      `Cette page s’ouvre à partir du lien ${link.fr} de votre courriel d’activation. Ouvrez ce lien de ` +
      `nouveau, ou demandez une nouvelle lettre à l’école.`,
    toProviderTitle: 'Connexion',
    toProvider: (provider) => `Ouverture de la page de connexion de ${provider}…`,
    toProviderLink: (provider) => `Continuer vers ${provider}`,
    providerUnavailable: (provider) =>
      `La connexion avec ${provider} est impossible pour le moment. Réessayez dans quelques minutes, ou ` +
      `connectez-vous autrement.`,
    signInFailedTitle: 'Vous n’êtes pas connecté',
    signInFailed:
      `La connexion n’a pas abouti, ou elle a pris trop de temps. Ouvrez de nouveau le ` +
      `lien ${link.fr} du courriel et connectez-vous de nouveau.`,
    signedIn: (provider, address) =>
      address === null
        ? `Vous êtes connecté avec ${provider}.`
        : `Vous êtes connecté avec ${provider}${nbsp}: ${address}.`,
    otherAccount:
      `Ce n’est pas le compte que vous voulez utiliser${nbsp}? Ouvrez de nouveau le lien ${link.fr} ` +
      `du courriel et connectez-vous avec un autre compte.`,
    pinLabel: 'Votre NIP à 4 chiffres',
    pinHint: 'Imprimé sur votre lettre. Il n’est jamais envoyé par courriel.',
    errorSummaryTitle: 'Il y a un problème',
    termsTitle: 'Conditions d’utilisation',
    terms: [
      `Cette connexion est réservée à la personne nommée dans la lettre${nbsp}: l’élève, ou le parent ou tuteur ` +
        `pour qui l’école l’a créée.`,
      'Vous l’utiliserez uniquement pour consulter le dossier de cet élève, garderez votre NIP et votre compte ' +
        'confidentiels, et avertirez l’école si le dossier comporte une erreur ou si vous ne devriez plus y ' +
        'avoir accès.',
      'Chaque activation est enregistrée avec le compte utilisé et l’heure.',
    ],
    acceptTerms: 'J’ai lu et j’accepte les conditions d’utilisation.',
    button: ACCEPT_BUTTON_LABEL.fr,
    errors: {
      terms: 'Veuillez accepter les conditions d’utilisation pour activer la connexion.',
      pin: 'Le NIP est formé des 4 chiffres imprimés sur votre lettre.',
    },
    activatedTitle: 'Votre connexion est activée',
    activated: (firstName) =>
      `Vous pouvez maintenant consulter le dossier ${firstName === null ? 'de l’élève' : ofName(firstName)} ` +
      `dans myPass.`,
    nextTitle: 'La suite',
    next: (provider, address) => [
      `Allez dans myPass et connectez-vous avec ${provider}${address === null ? '' : ` (${address})`}${nbsp}: ` +
        `le compte que vous avez utilisé sur cette page.`,
      'Vous n’avez plus besoin du NIP ni du courriel d’activation. Vous pouvez fermer cette page.',
    ],
    wrongPin: (left, minutes) =>
      `Le NIP est incorrect. Il vous reste ${left} ${left === 1 ? 'essai' : 'essais'} avant que la connexion ` +
      `soit verrouillée pendant ${minutes}${nbsp}minutes.`,
    lockedUntil: (time) =>
      `Trop de NIP erronés${nbsp}: la connexion est verrouillée jusqu’au ${time}. Réessayez après ce moment, ou ` +
      `demandez un nouveau NIP à l’école.`,
    lockedUntilReset: `Trop de NIP erronés${nbsp}: ce NIP est verrouillé. Demandez un nouveau NIP à l’école.`,
    expired: 'Cette demande d’activation a expiré. Demandez un nouveau NIP à l’école.',
    revoked:
      'Cette connexion a été supprimée par l’école et ne peut plus être activée. Adressez-vous à l’école si ' +
      'vous avez besoin d’un accès.',
    alreadyActivatedTitle: 'Votre connexion est déjà activée',
    alreadyActivated: [
      `Cette connexion est déjà activée${nbsp}: il n’y a plus rien à faire ici.`,
      'Allez dans myPass et connectez-vous avec le compte avec lequel vous l’avez activée. Si vous ne pouvez ' +
        'pas vous connecter, réinitialisez le mot de passe de ce compte (compte Éducation, Google ou Microsoft).',
    ],
    unknownLink:
      `Ce lien d’activation n’est pas valide${nbsp}: il a peut-être été remplacé par un courriel ` +
      `plus récent. Utilisez le lien du courriel le plus récent, ou adressez-vous à l’école.`,
    refusedTitle: 'La connexion n’a pas été activée',
    formRefusedTitle: 'Votre formulaire n’a pas été envoyé',
    formRefused:
      'Cette page est restée ouverte trop longtemps, ou votre navigateur n’a pas gardé le témoin dont elle a ' +
      'besoin; rien n’a été fait. Revenez à votre lien et réessayez.',
    backToLink: 'Retour à votre lien d’activation',
    backToPin: 'Retour à l’étape du NIP',
    reopenLink: `Ouvrez de nouveau le lien ${link.fr} de votre courriel d’activation.`,
    tooManyTitle: 'Trop de tentatives',
    tooMany: (seconds) =>
      `Trop de formulaires ont été envoyés à partir de cette adresse. ` +
      `Attendez ${seconds}${nbsp}${seconds === 1 ? 'seconde' : 'secondes'}, puis revenez en arrière et ` +
      `réessayez.`,
    notFoundTitle: 'Page introuvable',
    failedTitle: 'Une erreur est survenue',
    failed: 'La page n’a pas pu être affichée à cause d’un problème de notre côté. Réessayez dans quelques minutes.',
  },
};
