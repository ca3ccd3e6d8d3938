import { execFileSync } from 'child_process';
import * as path from 'path';

/** The custom resource handlers ship pre-bundled: users synthesize without a bundler. */
describe('custom resource handlers in the published package', () => {
  test('the package holds each handler bundle and none of their sources', () => {
    // GIVEN the package as `npm pack` would publish it (`npm test` compiles and bundles first)
    const [{ files }] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json'], {
      cwd: path.join(__dirname, '..'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'],
    }));
    const names: string[] = files.map((f: { path: string }) => f.path);
    // THEN
    expect(names).toContain('lib/handlers/database-users/bundle/index.js');
    expect(names.filter(n => n.startsWith('lib/handlers/') && !n.includes('/bundle/'))).toEqual([]);
  });
});
