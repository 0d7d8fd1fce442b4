// Adds the tsserver plugin package to a packed VSIX. tsserver loads a contributed plugin by package
// name from `<extension folder>/node_modules/<name>`, but vsce --no-dependencies never packs
// node_modules: this copies the VSIX with the folder the build writes (esbuild.js) added under
// extension/node_modules/. Usage: node scripts/package-tsplugin.js asyncwise-<version>.vsix
const fs = require('node:fs');
const path = require('node:path');
const yauzl = require('yauzl');
const yazl = require('yazl');

const PLUGIN = 'asyncwise-tsserver-plugin';
const root = path.join(__dirname, '..');
const pluginDir = path.join(root, 'node_modules', PLUGIN);
const FILES = ['package.json', 'index.js'];

async function main() {
  const vsix = process.argv[2];
  if (!vsix) throw new Error('usage: package-tsplugin.js <file.vsix>');
  for (const f of FILES) if (!fs.existsSync(path.join(pluginDir, f))) throw new Error(`${path.join(pluginDir, f)} is missing: run "node esbuild.js --production" first`);
  const out = new yazl.ZipFile();
  // Every entry of the packed VSIX, except an older copy of the plugin.
  await new Promise((resolve, reject) => {
    yauzl.open(vsix, { lazyEntries: true }, (error, zip) => {
      if (error) return reject(error);
      zip.on('error', reject);
      zip.on('end', resolve);
      zip.on('entry', (entry) => {
        if (entry.fileName.startsWith(`extension/node_modules/${PLUGIN}/`) || entry.fileName.endsWith('/')) return zip.readEntry();
        zip.openReadStream(entry, (err, stream) => {
          if (err) return reject(err);
          const chunks = [];
          stream.on('data', (c) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            out.addBuffer(Buffer.concat(chunks), entry.fileName, { mtime: entry.getLastModDate() });
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
  for (const f of FILES) out.addFile(path.join(pluginDir, f), `extension/node_modules/${PLUGIN}/${f}`);
  out.end();
  const tmp = `${vsix}.tmp`;
  await new Promise((resolve, reject) => {
    const stream = fs.createWriteStream(tmp);
    out.outputStream.pipe(stream).on('finish', resolve).on('error', reject);
  });
  fs.renameSync(tmp, vsix);
  console.log(`added node_modules/${PLUGIN}/{${FILES.join(',')}} to ${vsix}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
