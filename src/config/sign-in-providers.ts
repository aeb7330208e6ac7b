import { readFileSync, statSync } from 'node:fs';
import type { Raw, Reader } from './config-reader.ts';

/** An OpenID Connect provider people sign in with on the activation page (docs/rules.md §5). */
export interface SignInProvider {
  /** Names it in the page's forms, in a sign-in under way and in the log: `education`, `google`. */
  id: string;
  /** On its button, in each language: "Education Account" / "Compte Éducation", "Google". */
  name: { en: string; fr: string };
  /** Its issuer identifier: the discovery document is `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  clientSecret: string;
}

const setting = 'activationServer.providers';
const example =
  '[{"id": "google", "name": "Google", "issuer": "https://accounts.google.com", "clientId": "…", "clientSecret": "…"}]';

/**
 * Puts INTAKE_OIDC_PROVIDERS (JSON) or INTAKE_OIDC_PROVIDERS_FILE (a JSON file only its owner may
 * read) into the raw configuration. Client secrets never come from config/default.json, which is
 * part of the source. A problem names the variable or the file, never what it holds.
 */
export function providersFromEnvironment(raw: Raw, env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  const activation = (
    typeof raw.activationServer === 'object' && raw.activationServer !== null ? raw.activationServer : {}
  ) as Raw;
  raw.activationServer = activation;
  if (Array.isArray(activation.providers) && activation.providers.length > 0) {
    problems.push(
      `${setting}: not in config/default.json, which is part of the source and would hold client secrets: use ` +
        `INTAKE_OIDC_PROVIDERS_FILE`,
    );
  }
  const text = env.INTAKE_OIDC_PROVIDERS ?? '';
  const file = env.INTAKE_OIDC_PROVIDERS_FILE ?? '';
  if (text !== '' && file !== '') {
    problems.push('INTAKE_OIDC_PROVIDERS, INTAKE_OIDC_PROVIDERS_FILE: set one of them, not both');
    return problems;
  }
  let json: string | null = text === '' ? null : text;
  let source = 'INTAKE_OIDC_PROVIDERS';
  if (file !== '') {
    source = `INTAKE_OIDC_PROVIDERS_FILE (${file})`;
    try {
      const stat = statSync(file);
      if (!stat.isFile()) problems.push(`${source}: expected a file`);
      // Group or others reading it would read the client secrets.
      else if ((stat.mode & 0o077) !== 0) problems.push(`${source}: others may read it; it holds secrets: chmod 600`);
      else json = readFileSync(file, 'utf8');
    } catch (error) {
      problems.push(`${source}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (json === null) return problems;
  try {
    activation.providers = JSON.parse(json) as unknown;
  } catch {
    problems.push(`${source}: expected JSON, a list of providers such as ${example}`);
  }
  return problems;
}

const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

/** Why `issuer` cannot be one, or null. Plain HTTP only on this machine: the tests' provider. */
function issuerProblem(issuer: string): string | null {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return 'expected a URL';
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '')
    return 'expected a URL without a query, a fragment or credentials';
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname))) return null;
  return 'expected an https:// URL (http:// only on a loopback host, as in tests)';
}

/** The providers, checked; each problem names the entry and the field, never a value. */
export function readSignInProviders(read: Reader, earlier: string[]): SignInProvider[] {
  read.problems.push(...earlier);
  const value = read.value(setting);
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    read.problems.push(`${setting}: expected a list of providers, such as ${example}`);
    return [];
  }
  const providers: SignInProvider[] = [];
  value.forEach((item: unknown, index) => {
    const at = `${setting}[${index}]`;
    const entry = (typeof item === 'object' && item !== null ? item : {}) as Raw;
    const text = (key: string, max: number, field = entry[key]): string => {
      if (typeof field === 'string' && field.trim() !== '' && field.length <= max) return field.trim();
      read.problems.push(`${at}.${key}: expected a text of 1 to ${max} characters`);
      return '';
    };
    const id = text('id', 32);
    if (id !== '' && !/^[a-z0-9][a-z0-9-]*$/.test(id))
      read.problems.push(`${at}.id: expected lower-case letters, digits and dashes, as "google"`);
    if (id !== '' && providers.some((p) => p.id === id)) read.problems.push(`${at}.id: "${id}" is given twice`);
    const shown = entry.name;
    const name =
      typeof shown === 'object' && shown !== null
        ? { en: text('name.en', 60, (shown as Raw).en), fr: text('name.fr', 60, (shown as Raw).fr) }
        : { en: text('name', 60), fr: text('name', 60) };
    const issuer = text('issuer', 500);
    const issuerWrong = issuer === '' ? null : issuerProblem(issuer);
    if (issuerWrong !== null) read.problems.push(`${at}.issuer: ${issuerWrong}`);
    providers.push({ id, name, issuer, clientId: text('clientId', 500), clientSecret: text('clientSecret', 2000) });
  });
  return providers;
}
