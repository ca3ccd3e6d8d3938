import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.join(__dirname, '..');

describe('API.md', () => {
  test('matches the public API of the compiled assembly (run `npm run build` to regenerate it)', () => {
    // GIVEN the assembly compiled by `npm test` (jsii writes .jsii before jest runs)
    expect(fs.existsSync(path.join(root, '.jsii'))).toBe(true);
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'api-docs-')), 'API.md');

    // WHEN the docs are generated again
    execFileSync(path.join(root, 'node_modules', '.bin', 'jsii-docgen'), ['-o', out], { cwd: root, stdio: 'pipe' });

    // THEN the committed API.md is identical
    expect(fs.readFileSync(path.join(root, 'API.md'), 'utf8')).toEqual(fs.readFileSync(out, 'utf8'));
  });

  test('documents every public construct and struct of the library', () => {
    const api = fs.readFileSync(path.join(root, 'API.md'), 'utf8');
    for (const name of ['ServerlessDatabase', 'ServerlessDatabaseProps', 'ConnectionBudget', 'MaxConnections', 'DatabaseFunctionProps', 'DatabaseNodejsFunctionProps', 'ProxyPoolOptions', 'DatabaseEnvironmentVariables']) {
      expect(api).toContain(`### ${name} `);
    }
  });
});
