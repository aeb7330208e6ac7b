import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../src/config/config.ts';

const secret = 'a-client-secret-that-must-never-be-shown';
const google = {
  id: 'google',
  name: 'Google',
  issuer: 'https://accounts.google.com',
  clientId: 'intake.apps.example',
  clientSecret: secret,
};

function problems(env: NodeJS.ProcessEnv, overrides: Record<string, unknown> = {}): string {
  try {
    loadConfig(overrides, env);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    const text = (error as ConfigError).message;
    expect(text, 'a problem never shows the secret').to.not.contain(secret);
    return text;
  }
  throw new Error('the configuration was taken');
}

describe('configuration: the activation page’s sign-in providers', () => {
  let folder: string;
  before(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'intake-oidc-'));
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('none by default, and the default roles leave the activation page out', () => {
    const config = loadConfig({}, {});
    expect(config.activationServer.providers).to.deep.equal([]);
    expect(config.roles).to.not.include('activation');
  });

  it('with a provider, the default roles are all six; roles given are taken as given', () => {
    const withProvider = { INTAKE_OIDC_PROVIDERS: JSON.stringify([google]) };
    expect(loadConfig({}, withProvider).roles).to.deep.equal([
      'watcher',
      'worker',
      'scheduler',
      'mail',
      'console',
      'activation',
    ]);
    expect(loadConfig({}, { ...withProvider, INTAKE_ROLES: 'worker,mail' }).roles).to.deep.equal(['worker', 'mail']);
    expect(loadConfig({ roles: 'console,activation' }, {}).roles).to.deep.equal(['console', 'activation']);
    expect(problems({ INTAKE_ROLES: 'worker,gardener' })).to.contain('roles: expected some of');
  });

  it('from INTAKE_OIDC_PROVIDERS (JSON), a name for both languages or one for each', () => {
    const education = {
      ...google,
      id: 'education',
      name: { en: 'Education Account', fr: 'Compte Éducation' },
      issuer: 'https://login.education.example/realms/families',
    };
    const config = loadConfig({}, { INTAKE_OIDC_PROVIDERS: JSON.stringify([education, google]) });
    expect(config.activationServer.providers).to.deep.equal([
      { ...education },
      { ...google, name: { en: 'Google', fr: 'Google' } },
    ]);
  });

  it('from INTAKE_OIDC_PROVIDERS_FILE, only when no one else may read the file', () => {
    const file = path.join(folder, 'providers.json');
    writeFileSync(file, JSON.stringify([google]));
    chmodSync(file, 0o600);
    expect(loadConfig({}, { INTAKE_OIDC_PROVIDERS_FILE: file }).activationServer.providers).to.have.length(1);
    chmodSync(file, 0o640);
    expect(problems({ INTAKE_OIDC_PROVIDERS_FILE: file })).to.contain(
      `INTAKE_OIDC_PROVIDERS_FILE (${file}): others may read it`,
    );
    expect(problems({ INTAKE_OIDC_PROVIDERS_FILE: path.join(folder, 'none.json') })).to.contain(
      'cannot be read (ENOENT)',
    );
    chmodSync(file, 0o600);
    expect(problems({ INTAKE_OIDC_PROVIDERS_FILE: file, INTAKE_OIDC_PROVIDERS: '[]' })).to.contain('not both');
  });

  it('names what is wrong without showing what was given', () => {
    expect(problems({ INTAKE_OIDC_PROVIDERS: `[{"clientSecret": "${secret}"` })).to.contain(
      'INTAKE_OIDC_PROVIDERS: expected JSON',
    );
    const wrong = problems({
      INTAKE_OIDC_PROVIDERS: JSON.stringify([
        { ...google, issuer: 'http://accounts.google.com' },
        { ...google, id: 'Google Accounts', clientSecret: '' },
        { ...google, issuer: 'http://127.0.0.1:9999' },
      ]),
    });
    expect(wrong).to.contain('activationServer.providers[0].issuer: expected an https:// URL');
    expect(wrong).to.contain('activationServer.providers[1].id: expected lower-case letters');
    expect(wrong).to.contain('activationServer.providers[1].clientSecret: expected a text');
    expect(wrong).to.contain('activationServer.providers[2].id: "google" is given twice');
    expect(wrong).to.not.contain('providers[2].issuer');
  });
});
