import { expect } from 'chai';
import { ConfigError, loadConfig } from '../src/config/config.ts';

describe('configuration', () => {
  it('loads the defaults, with the embedded database when DATABASE_URL is not set', () => {
    const config = loadConfig({}, {});
    expect(config.databaseUrl).to.equal(null);
    expect(config.rules).to.deep.equal({ lastEnrolmentMonths: 6, recentEnrolmentMonths: 12, creationAssociationMonths: 24 });
    expect(config.home).to.match(/\/var$/);
  });

  it('takes environment overrides', () => {
    const config = loadConfig({}, { DATABASE_URL: 'postgres://u@h/db', INTAKE_CHUNK_ROWS: '250', INTAKE_HOME: '/tmp/intake-x' });
    expect(config.databaseUrl).to.equal('postgres://u@h/db');
    expect(config.processing.chunkRows).to.equal(250);
    expect(config.home).to.equal('/tmp/intake-x');
  });

  it('names every bad key at once', () => {
    let error: unknown;
    try {
      loadConfig({}, { DATABASE_URL: 'mysql://x', INTAKE_CHUNK_ROWS: 'many', INTAKE_LOG_LEVEL: 'loud', INTAKE_ASN_FIRST: '12' });
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).to.match(/processing\.chunkRows/).and.match(/logLevel/).and.match(/asnRange\.first/).and.match(/databaseUrl/);
    expect((error as ConfigError).problems).to.have.length(4);
  });
});
