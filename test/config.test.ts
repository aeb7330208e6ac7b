import { expect } from 'chai';
import { ConfigError, loadConfig } from '../src/config/config.ts';

describe('configuration', () => {
  it('loads the defaults, with the embedded database when DATABASE_URL is not set', () => {
    const config = loadConfig({}, {});
    expect(config.databaseUrl).to.equal(null);
    expect(config.rules).to.deep.equal({
      lastEnrolmentMonths: 6,
      recentEnrolmentMonths: 12,
      creationAssociationMonths: 24,
      earliestBirthYear: 1900,
    });
    expect(config.home).to.match(/\/var$/);
  });

  it('takes environment overrides', () => {
    const config = loadConfig(
      {},
      { DATABASE_URL: 'postgres://u@h/db', INTAKE_CHUNK_ROWS: '250', INTAKE_HOME: '/tmp/intake-x' },
    );
    expect(config.databaseUrl).to.equal('postgres://u@h/db');
    expect(config.processing.chunkRows).to.equal(250);
    expect(config.home).to.equal('/tmp/intake-x');
  });

  it('names every bad key at once', () => {
    let error: unknown;
    try {
      loadConfig(
        {},
        { DATABASE_URL: 'mysql://x', INTAKE_CHUNK_ROWS: 'many', INTAKE_LOG_LEVEL: 'loud', INTAKE_ASN_FIRST: '12' },
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems)
      .to.match(/processing\.chunkRows/)
      .and.match(/logLevel/)
      .and.match(/asnRange\.first/)
      .and.match(/databaseUrl/);
    expect((error as ConfigError).problems).to.have.length(4);
  });

  it('waits tens of seconds for a file to settle by default, and reads the arrival settings', () => {
    const defaults = loadConfig({}, {}).watch;
    expect(defaults.stableMs).to.be.at.least(30_000);
    expect(defaults.incompleteLineStableMs).to.be.greaterThan(defaults.stableMs);
    expect(defaults.temporarySuffixes).to.include.members(['.part', '.filepart', '.partial', '.tmp', '.crdownload']);
    expect(defaults.temporaryPrefixes).to.include.members(['.', '~']);
    expect(defaults.checkOpenWriters).to.equal(true);
    const fromEnvironment = loadConfig(
      {},
      { INTAKE_DONE_MARKER_AUTHORITIES: 'A.0094, A.0230', INTAKE_CHECK_OPEN_WRITERS: 'false' },
    ).watch;
    expect(fromEnvironment.doneMarkerAuthorities).to.deep.equal(['A.0094', 'A.0230']);
    expect(fromEnvironment.checkOpenWriters).to.equal(false);
  });

  it('refuses a done-marker authority that is not a code, and a shorter wait for cut lines', () => {
    expect(() => loadConfig({}, { INTAKE_DONE_MARKER_AUTHORITIES: 'Edmonton' })).to.throw(
      ConfigError,
      /doneMarkerAuthorities: "Edmonton"/,
    );
    expect(() => loadConfig({}, { INTAKE_STABLE_MS: '60000', INTAKE_INCOMPLETE_LINE_STABLE_MS: '1000' })).to.throw(
      ConfigError,
      /incompleteLineStableMs/,
    );
  });
});
