// The CommonJS twin of esm.mjs: `require()` of the package (an ES module, which Node >= 20.19 can
// require) and of every subpath, the same breaker and worker call, one JSON report.
const { pathToFileURL } = require('node:url');
const { join } = require('node:path');

async function main() {
  const { exports } = require('breakwater/package.json');
  const modules = {};
  for (const subpath of Object.keys(exports).filter((s) => s !== './package.json')) {
    const specifier = subpath === '.' ? 'breakwater' : `breakwater/${subpath.slice(2)}`;
    modules[specifier] = Object.keys(require(specifier)).sort();
  }
  const { Supervisor, isCircuitOpenError } = require('breakwater');
  const sup = new Supervisor();
  sup.register('inline', { breaker: { trip: { kind: 'consecutive', threshold: 1 } } });
  await sup.runResult('inline', () => Promise.reject(new Error('down')));
  const rejected = await sup.run('inline', () => 'ran').catch((e) => e);
  sup.register('pool', {
    worker: pathToFileURL(join(__dirname, 'handlers.mjs')),
    threads: { min: 1, max: 1 },
  });
  const sum = await sup.call('pool', 'add', [2, 3]);
  await sup.close();
  console.log(JSON.stringify({ modules, tripped: isCircuitOpenError(rejected), sum }));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
