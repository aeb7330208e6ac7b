import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { build, startCommand } from '../scripts/start-command.ts';
import { root } from './support/cli.ts';

describe('the build that npm start and the unit run', function () {
  this.timeout(60_000);
  before(() => build());

  it('starts when it is of the sources beside it, and refuses to when it is not', () => {
    const help = () => spawnSync(process.execPath, [...startCommand(), '--help'], { encoding: 'utf8' });
    expect(help().status).to.equal(0);
    const stamp = path.join(root, 'dist/build-stamp.json');
    const kept = readFileSync(stamp);
    try {
      // As after an upgrade of the sources without npm run build.
      writeFileSync(stamp, '{"sources":"an older build"}\n');
      const stale = help();
      expect(stale.status).to.equal(1);
      expect(stale.stderr).to.contain('is not of the sources beside it').and.to.contain('run npm run build');
    } finally {
      writeFileSync(stamp, kept);
    }
    expect(help().status).to.equal(0);
  });
});
