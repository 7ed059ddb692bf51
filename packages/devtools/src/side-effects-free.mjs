/**
 * Preloaded (node --import) into the ncc process by build.ts: declares packages side-effect free
 * to the bundler, as a `"sideEffects": false` in their package.json would.
 *
 * webpack (inside ncc) then drops a module of such a package when nothing the action uses comes
 * from it. It matters for @actions/core: its core.js imports oidc-utils.js, and with it
 * @actions/http-client, tunnel and undici (~1 MB), only for getIDToken. Declared free, those are
 * bundled only into an action that calls getIDToken; the others no longer evaluate them at
 * start-up. ncc exposes no webpack configuration (module.rules[].sideEffects would say the same),
 * so the flag is added where webpack reads it: the package's package.json, as read by this
 * process only (nothing on disk changes).
 *
 * The packages come from SD_ACTIONS_SIDE_EFFECT_FREE, a JSON array of package names.
 */
import fs from 'node:fs';
import path from 'node:path';

const names = JSON.parse(process.env.SD_ACTIONS_SIDE_EFFECT_FREE || '[]');
const suffixes = names.map((name) => path.join('node_modules', name, 'package.json'));

function isTarget(file) {
  if (typeof file !== 'string' && !(file instanceof URL)) return false;
  const p = path.normalize(file instanceof URL ? file.pathname : file);
  return suffixes.some((s) => p.endsWith(path.sep + s));
}

function flag(text) {
  const pkg = JSON.parse(String(text));
  pkg.sideEffects = false;
  return JSON.stringify(pkg);
}

function convert(data, options) {
  const text = flag(data);
  const encoding = typeof options === 'string' ? options : options && options.encoding;
  return encoding ? text : Buffer.from(text);
}

const readFile = fs.readFile;
fs.readFile = function (file, options, callback) {
  if (typeof options === 'function') [options, callback] = [undefined, options];
  if (!isTarget(file)) return readFile.call(this, file, options, callback);
  readFile.call(this, file, options, (err, data) => {
    if (err) return callback(err);
    let out;
    try {
      out = convert(data, options);
    } catch (e) {
      return callback(e);
    }
    callback(null, out);
  });
};

const readFileSync = fs.readFileSync;
fs.readFileSync = function (file, options) {
  const data = readFileSync.call(this, file, options);
  return isTarget(file) ? convert(data, options) : data;
};
