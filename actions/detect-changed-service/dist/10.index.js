export const id = 10;
export const ids = [10];
export const modules = {

/***/ 7010:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  compareToEnvironment: () => (/* binding */ compareToEnvironment),
  environmentOf: () => (/* binding */ environmentOf)
});

// EXTERNAL MODULE: ./packages/action-kit/src/log.ts + 1 modules
var log = __webpack_require__(6307);
// EXTERNAL MODULE: ./packages/core/src/errors.ts
var errors = __webpack_require__(7638);
// EXTERNAL MODULE: ./packages/core/src/templates.ts
var templates = __webpack_require__(4850);
// EXTERNAL MODULE: external "node:util"
var external_node_util_ = __webpack_require__(7975);
// EXTERNAL MODULE: ./node_modules/yaml/dist/index.js
var dist = __webpack_require__(8815);
;// CONCATENATED MODULE: ./packages/core/src/deploy-files.ts
/**
 * Byte-preserving edits of deployment YAML: environment manifests, kustomizations and Helm
 * values files. Humans own these files, so an edit touches only the bytes of the values it
 * changes (or appends the lines of keys it adds); comments, key order, quoting, anchors,
 * blank lines and every other entry stay exactly as they were.
 *
 * How: the document is parsed with source ranges, each change becomes a text splice at those
 * ranges, and the result is parsed again and compared with the intended data. An edit that
 * would change anything else (a value shared through an anchor, say) is refused rather than
 * written, so a surprising result can never reach a GitOps branch.
 */




// Merge keys (`<<: *defaults`) are common in hand-written manifests; read them as yq does.
const PARSE_OPTIONS = { merge: true, uniqueKeys: true, prettyErrors: false };
/** Parse one YAML document, or throw a UserError naming the file, line and column. */
function parseYamlDocument(text, file) {
    const lines = new dist/* LineCounter */.HN();
    const doc = (0,dist/* parseDocument */.Tp)(text, { ...PARSE_OPTIONS, lineCounter: lines });
    const err = doc.errors[0];
    if (err) {
        const pos = lines.linePos(err.pos[0]);
        throw new errors/* UserError */.yo(`${file}: not valid YAML at line ${pos.line}, column ${pos.col}: ${err.message.split('\n')[0]}`, { file, line: pos.line, column: pos.col });
    }
    return doc;
}
function toJS(doc, file = 'the YAML document') {
    try {
        return doc.toJS({ maxAliasCount: 1000 });
    }
    catch (err) {
        // The `yaml` library's guard against alias bombs: a clear refusal, not an unexpected error.
        if (err instanceof ReferenceError && /alias/i.test(err.message))
            throw new errors/* UserError */.yo(`${file}: too many YAML alias expansions (more than 1000); expected a file without deeply nested aliases (*name)`, { file });
        throw err;
    }
}
function keyName(node) {
    return (0,dist/* isScalar */.jn)(node) && node.value !== null ? String(node.value) : undefined;
}
function showPath(path) {
    return path.length ? path.join('.') : '(top level)';
}
// YAML 1.1 readers (older tools) turn these plain words into booleans or numbers.
const YAML11_SPECIAL = /^(?:y|n|yes|no|on|off|true|false|null|~|[-+]?0[0-7_]+|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?)$/i;
const PLAIN_SAFE = /^[A-Za-z0-9_./@+-][A-Za-z0-9_./@+:=~-]*$/;
/** Plain when the text reads back as the same string everywhere; otherwise double-quoted. */
function renderScalar(value, style) {
    const printable = !/[\u0000-\u001f\u007f]/.test(value);
    if (style === dist/* Scalar */.X5.QUOTE_SINGLE && printable)
        return `'${value.replace(/'/g, "''")}'`;
    if (style === dist/* Scalar */.X5.QUOTE_DOUBLE || !printable)
        return JSON.stringify(value);
    const plainOk = PLAIN_SAFE.test(value) && !value.endsWith(':') && !YAML11_SPECIAL.test(value) && (0,dist/* parse */.qg)(value) === value;
    return plainOk ? value : JSON.stringify(value);
}
/** An editable YAML document that keeps every byte it does not have to change. */
class deploy_files_YamlEditor {
    file;
    current;
    doc;
    eol;
    constructor(text, file) {
        this.file = file;
        this.current = text;
        this.doc = parseYamlDocument(text, file);
        this.eol = text.includes('\r\n') ? '\r\n' : '\n';
    }
    get text() {
        return this.current;
    }
    /** The indentation step new nested lines get (the document's own, else 2). */
    get indentUnit() {
        return this.indentStep();
    }
    /** The whole document as plain data (aliases and merge keys resolved). */
    toJS() {
        return toJS(this.doc, this.file);
    }
    /** The plain value at a path, or undefined when any step is missing. */
    getIn(path) {
        let cur = this.toJS();
        for (const key of path) {
            if (cur === null || typeof cur !== 'object')
                return undefined;
            cur = cur[key];
        }
        return cur;
    }
    /**
     * Set a value (a string, or a mapping of strings set key by key) at a path, creating missing
     * mappings. Returns false, changing nothing, when the document already says so.
     */
    setIn(path, value) {
        if ((0,external_node_util_.isDeepStrictEqual)(this.getIn(path), value))
            return false;
        if (typeof value !== 'string') {
            const existing = this.explicitNode(path);
            if ((0,dist/* isMap */.jh)(existing)) {
                let changed = false;
                for (const [key, item] of Object.entries(value))
                    changed = this.setIn([...path, key], item) || changed;
                return changed;
            }
        }
        // A fresh conversion is our private copy to apply the change to.
        const expected = this.toJS() ?? {};
        assignIn(expected, path, value, this.file);
        const splices = this.plan(path, value);
        splices.sort((a, b) => b.start - a.start);
        let next = this.current;
        for (const s of splices)
            next = next.slice(0, s.start) + s.text + next.slice(s.end);
        const doc = parseYamlDocument(next, this.file);
        if (!(0,external_node_util_.isDeepStrictEqual)(toJS(doc), expected)) {
            throw new errors/* UserError */.yo(`${this.file}: cannot set ${showPath(path)} without changing other entries too (the value is shared through a YAML anchor, alias or merge key); write it out in place once by hand`);
        }
        this.current = next;
        this.doc = doc;
        return true;
    }
    /** The node written at a path (no alias or merge resolution), if any. */
    explicitNode(path) {
        let node = this.doc.contents;
        for (const key of path) {
            if ((0,dist/* isMap */.jh)(node))
                node = node.items.find((p) => keyName(p.key) === String(key))?.value;
            else if ((0,dist/* isSeq */.oP)(node) && typeof key === 'number')
                node = node.items[key];
            else
                return undefined;
        }
        return node;
    }
    plan(path, value) {
        let node = this.doc.contents;
        if (node === null || ((0,dist/* isScalar */.jn)(node) && node.value === null && isEmptyRange(node.range)))
            return [this.appendAtEnd(this.blockLines(path, value, 0))];
        for (let i = 0; i < path.length; i++) {
            const key = path[i];
            const last = i === path.length - 1;
            if ((0,dist/* isMap */.jh)(node)) {
                const pair = node.items.find((p) => keyName(p.key) === String(key));
                if (!pair)
                    return [this.insertIntoMap(node, path.slice(i), value)];
                const v = pair.value;
                if (isNullish(v) || ((0,dist/* isMap */.jh)(v) && v.flow && v.items.length === 0 && typeof value !== 'string'))
                    return this.fillEmptyValue(node, pair, path.slice(i + 1), value);
                if (last)
                    return this.replaceValue(v, path, value);
                node = v;
            }
            else if ((0,dist/* isSeq */.oP)(node) && typeof key === 'number') {
                const item = node.items[key];
                if (item === undefined)
                    throw new errors/* UserError */.yo(`${this.file}: ${showPath(path.slice(0, i + 1))} does not exist`);
                if (last)
                    return this.replaceValue(item, path, value);
                node = item;
            }
            else if ((0,dist/* isAlias */.Vj)(node)) {
                throw new errors/* UserError */.yo(`${this.file}: ${showPath(path.slice(0, i))} is an alias (*${node.source}); cannot edit a shared value in place`);
            }
            else {
                throw new errors/* UserError */.yo(`${this.file}: ${showPath(path.slice(0, i))} is ${describe(node)}; expected a mapping with ${(0,errors/* show */.WU)(String(key))}`);
            }
        }
        throw new errors/* UserError */.yo(`${this.file}: cannot set an empty path`);
    }
    replaceValue(node, path, value) {
        if (typeof value !== 'string' || !((0,dist/* isScalar */.jn)(node) || (0,dist/* isAlias */.Vj)(node)))
            throw new errors/* UserError */.yo(`${this.file}: ${showPath(path)} is ${describe(node)}; expected ${typeof value === 'string' ? 'a single value' : 'a mapping'}`);
        const [start, end] = node.range;
        let text = renderScalar(value, (0,dist/* isScalar */.jn)(node) ? node.type : undefined);
        // A block scalar's range runs to its final newline; keep the line break.
        if (this.current.slice(start, end).endsWith('\n'))
            text += this.current.slice(start, end).endsWith('\r\n') ? '\r\n' : '\n';
        const splices = [{ start, end, text }];
        // An anchored scalar that is aliased elsewhere: those aliases keep the old value, written out.
        if ((0,dist/* isScalar */.jn)(node) && node.anchor) {
            const anchor = node.anchor;
            const literal = this.current.slice(start, end);
            (0,dist/* visit */.YR)(this.doc, {
                Alias: (_key, alias) => {
                    if (alias.source === anchor && alias.range)
                        splices.push({ start: alias.range[0], end: alias.range[1], text: literal });
                },
            });
        }
        return splices;
    }
    /** A key whose value is empty (`services:`, `services: ~`, `services: {}`): write the value under it. */
    fillEmptyValue(parent, pair, rest, value) {
        const key = pair.key;
        const keyRange = key.range;
        const v = pair.value;
        const colon = this.current.indexOf(':', keyRange[1]);
        if (parent.flow) {
            const text = rest.length === 0 && typeof value === 'string' ? renderScalar(value) : flowText(rest, value);
            if (v && !isEmptyRange(v.range))
                return [{ start: v.range[0], end: v.range[1], text }];
            return [{ start: colon + 1, end: colon + 1, text: ` ${text}` }];
        }
        if (rest.length === 0 && typeof value === 'string') {
            const text = renderScalar(value);
            if (v && !isEmptyRange(v.range))
                return [{ start: v.range[0], end: v.range[1], text }];
            return [{ start: colon + 1, end: colon + 1, text: ` ${text}` }];
        }
        const splices = [];
        let lineFrom = colon + 1;
        if (v && !isEmptyRange(v.range)) {
            // Drop the `~` / `{}` (and the space before it); a comment after it stays on the key's line.
            let start = v.range[0];
            while (start > colon + 1 && this.current[start - 1] === ' ')
                start--;
            splices.push({ start, end: v.range[1], text: '' });
            lineFrom = v.range[1];
        }
        const indent = this.column(keyRange[0]) + this.indentStep();
        splices.push(this.insertAfterLine(lineFrom, this.blockLines(rest, value, indent)));
        return splices;
    }
    insertIntoMap(map, rest, value) {
        if (rest.some((k) => typeof k === 'number'))
            throw new errors/* UserError */.yo(`${this.file}: ${rest.join('.')} does not exist; list items are never created`);
        const range = map.range;
        if (map.flow) {
            const text = flowText(rest, value);
            const lastPair = map.items[map.items.length - 1];
            if (!lastPair) {
                const close = this.current.lastIndexOf('}', range[1]);
                return { start: close, end: close, text };
            }
            const end = (lastPair.value ?? lastPair.key).range[1];
            return { start: end, end, text: `, ${text}` };
        }
        const first = map.items[0].key;
        return this.insertAfterLine(range[1] - 1, this.blockLines(rest, value, this.column(first.range[0])));
    }
    /** Insert whole lines after the line holding `offset`. */
    insertAfterLine(offset, lines) {
        const nl = this.current.indexOf('\n', Math.max(0, offset));
        if (nl === -1)
            return this.appendAtEnd(lines);
        return { start: nl + 1, end: nl + 1, text: lines };
    }
    appendAtEnd(lines) {
        const end = this.current.length;
        const text = end > 0 && !this.current.endsWith('\n') ? this.eol + lines : lines;
        return { start: end, end, text };
    }
    blockLines(keys, value, indent) {
        const pad = ' '.repeat(indent);
        if (keys.length === 0) {
            if (typeof value === 'string')
                throw new Error('blockLines: a value needs a key');
            return Object.entries(value)
                .map(([k, v]) => this.blockLines([k], v, indent))
                .join('');
        }
        const [head, ...tail] = keys;
        const key = renderScalar(String(head));
        if (tail.length === 0 && typeof value === 'string')
            return `${pad}${key}: ${renderScalar(value)}${this.eol}`;
        return `${pad}${key}:${this.eol}${this.blockLines(tail, value, indent + this.indentStep())}`;
    }
    column(offset) {
        return offset - (this.current.lastIndexOf('\n', offset - 1) + 1);
    }
    /** The document's own indentation step (2 unless a nested block mapping says otherwise). */
    indentStep() {
        let step;
        (0,dist/* visit */.YR)(this.doc, {
            Pair: (_key, pair) => {
                if (step !== undefined)
                    return dist/* visit */.YR.BREAK;
                const k = pair.key;
                const v = pair.value;
                if ((0,dist/* isMap */.jh)(v) && !v.flow && v.items[0] && k?.range) {
                    const childKey = v.items[0].key;
                    const diff = this.column(childKey.range[0]) - this.column(k.range[0]);
                    if (diff > 0 && this.lineOf(childKey.range[0]) > this.lineOf(k.range[0]))
                        step = diff;
                }
                return undefined;
            },
        });
        return step ?? 2;
    }
    lineOf(offset) {
        let n = 0;
        for (let i = this.current.indexOf('\n'); i !== -1 && i < offset; i = this.current.indexOf('\n', i + 1))
            n++;
        return n;
    }
}
function isNullish(node) {
    return node === null || node === undefined || ((0,dist/* isScalar */.jn)(node) && node.value === null);
}
function isEmptyRange(range) {
    return !range || range[0] === range[1];
}
function describe(node) {
    if ((0,dist/* isMap */.jh)(node))
        return 'a mapping';
    if ((0,dist/* isSeq */.oP)(node))
        return 'a list';
    if ((0,dist/* isAlias */.Vj)(node))
        return `an alias (*${node.source})`;
    if ((0,dist/* isPair */.tO)(node))
        return 'a pair';
    if ((0,dist/* isScalar */.jn)(node))
        return `the value ${(0,errors/* show */.WU)(node.value)}`;
    return 'empty';
}
function flowText(keys, value) {
    if (keys.length === 0) {
        if (typeof value === 'string')
            return renderScalar(value);
        return `{${Object.entries(value)
            .map(([k, v]) => flowText([k], v))
            .join(', ')}}`;
    }
    const [head, ...tail] = keys;
    const inner = tail.length === 0 && typeof value === 'string' ? renderScalar(value) : flowText(tail, value);
    return `${renderScalar(String(head))}: ${inner}`;
}
function assignIn(target, path, value, file) {
    let cur = target;
    for (let i = 0; i < path.length - 1; i++) {
        const key = path[i];
        const next = cur[key];
        if (next === null || next === undefined)
            cur[key] = {};
        else if (typeof next !== 'object')
            throw new errors/* UserError */.yo(`${file}: ${showPath(path.slice(0, i + 1))} is ${(0,errors/* show */.WU)(next)}; expected a mapping`);
        cur = cur[key];
    }
    const leaf = path[path.length - 1];
    if (typeof value === 'string')
        cur[leaf] = value;
    else {
        const existing = cur[leaf];
        const base = existing && typeof existing === 'object' ? existing : {};
        cur[leaf] = base;
        for (const [k, v] of Object.entries(value))
            assignIn(base, [k], v, file);
    }
}
const DEPLOY_VALUE_FIELDS = (/* unused pure expression or super */ null && ([
    'version',
    'digest',
    'image',
    'image-ref',
    'commit',
]));
const KUSTOMIZATION = /(?:^|\/)(?:kustomization\.ya?ml|Kustomization)$/;
const KEY_SEGMENT = /^[A-Za-z0-9_-]+$/;
/**
 * One line of the `files` input:
 *   `k8s/overlays/dev/kustomization.yaml`          images[] entry of the service: newTag + digest
 *   `charts/blue/values.yaml:blue.image.tag`       that key := the version
 *   `charts/blue/values.yaml:blue.image.digest=digest`   that key := digest (or version, image, image-ref, commit)
 */
function parseDeployFileSpec(line, input = 'files') {
    const bad = (expected) => {
        throw new UserError(`Input "${input}": ${show(line)} is not valid; expected ${expected}`);
    };
    const m = /^([^:=]+)(?::([^=]+))?(?:=(.+))?$/.exec(line.trim());
    if (!m)
        return bad('a repository path, optionally with :key.path and =field');
    const normalised = normaliseRepoPath(m[1].trim());
    if ('problem' in normalised || normalised.path === '.')
        return bad(`a path inside the repository (${'problem' in normalised ? normalised.problem : 'is the root'})`);
    const path = normalised.path;
    const unwritable = writablePathProblem(path);
    if (unwritable)
        return bad(`a deployment file (${unwritable})`);
    if (!m[2]) {
        if (m[3])
            return bad('path:key.path=field (a field needs a key path)');
        if (!KUSTOMIZATION.test(path))
            return bad('a kustomization.yaml, or a values file with the key to set, like values.yaml:blue.image.tag');
        return { kind: 'kustomize', path };
    }
    const key = m[2].trim().split('.');
    if (key.some((k) => !KEY_SEGMENT.test(k)))
        return bad('a dotted key path of letters, digits, "_" and "-", like blue.image.tag');
    const field = (m[3]?.trim() ?? 'version');
    if (!DEPLOY_VALUE_FIELDS.includes(field))
        return bad(`a field among ${DEPLOY_VALUE_FIELDS.join(', ')}`);
    return { kind: 'values', path, key, field };
}
/** Apply one `files` entry to the file's text. */
function editDeployFile(text, spec, values) {
    const editor = new deploy_files_YamlEditor(text, spec.path);
    let changed;
    if (spec.kind === 'kustomize') {
        changed = setKustomizeImage(editor, values.imageNames, { newTag: values.version, digest: values.digest });
    }
    else {
        const value = spec.field === 'image-ref'
            ? `${values.image}@${values.digest}`
            : spec.field === 'commit'
                ? (values.commit ?? '')
                : values[spec.field];
        if (value === '')
            throw new UserError(`${spec.path}: ${spec.key.join('.')}=commit needs the source commit`);
        changed = editor.setIn(spec.key, value);
    }
    return { text: editor.text, changed };
}
/** Update the `images[]` entry whose `name` is one of `names`: its newTag and digest. */
function setKustomizeImage(editor, names, fields) {
    const images = editor.getIn(['images']);
    if (!Array.isArray(images))
        throw new UserError(`${editor.file}: has no images list; expected images: [{ name: ${names[0] ?? '...'}, ... }]`);
    const index = images.findIndex((item) => item && typeof item === 'object' && names.includes(String(item.name)));
    if (index === -1) {
        const present = images.map((item) => show(item?.name)).join(', ');
        throw new UserError(`${editor.file}: no images[] entry named ${names.map((n) => show(n)).join(' or ')}; found ${present || 'none'}`);
    }
    let changed = false;
    for (const [key, value] of Object.entries(fields))
        if (value !== undefined)
            changed = editor.setIn(['images', index, key], value) || changed;
    return changed;
}

;// CONCATENATED MODULE: ./packages/core/src/manifest.ts
/**
 * The environment manifest (the project design, DESIGN.md §2.2, outside this repository; the
 * README carries it: "The manifests are the ledger"): `release-manifests/<env>.yaml` on the
 * environment's branch, saying which version/digest of each service runs there.
 *
 *   environment: production
 *   services:
 *     blue:
 *       version: 1.6.1
 *       image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/blue
 *       digest: sha256:4f1c…
 *       commit: 3b9d0c2…
 *       promotedAt: 2026-01-20T10:00:00Z
 *       promotedBy: alice
 *
 * Reading validates the shape with messages naming the file; editing goes through YamlEditor,
 * so only the promoted service's changed fields (or its new entry, appended at the end of
 * `services`) differ afterwards.
 */





const MANIFEST_FIELDS = ['version', 'image', 'digest', 'commit', 'promotedAt', 'promotedBy'];
function shapeError(file, path, value, expected) {
    throw new errors/* UserError */.yo(`${file}: ${path}: ${(0,errors/* show */.WU)(value)} ${expected}`, { file });
}
function readManifest(editor) {
    const file = editor.file;
    const root = editor.toJS();
    if (root === null || root === undefined)
        return { services: new Map() };
    if (typeof root !== 'object' || Array.isArray(root))
        shapeError(file, '(top level)', root, 'is not a mapping; expected environment: and services:');
    const { environment, services } = root;
    if (environment !== undefined && environment !== null && typeof environment !== 'string')
        shapeError(file, 'environment', environment, 'is not a string; expected the environment name');
    const out = new Map();
    if (services !== undefined && services !== null) {
        if (typeof services !== 'object' || Array.isArray(services))
            shapeError(file, 'services', services, 'is not a mapping; expected service name: { version, digest, ... }');
        for (const [name, entry] of Object.entries(services)) {
            if (entry === null || typeof entry !== 'object' || Array.isArray(entry))
                shapeError(file, `services.${name}`, entry, 'is not a mapping; expected { version, image, digest, ... }');
            const fields = {};
            for (const field of MANIFEST_FIELDS) {
                const value = entry[field];
                if (value === undefined || value === null)
                    continue;
                if (typeof value === 'string')
                    fields[field] = value;
                // A hand-written `version: 2` is still readable; dates come from YAML 1.1 timestamps.
                else if (typeof value === 'number' && Number.isFinite(value))
                    fields[field] = String(value);
                else if (value instanceof Date)
                    fields[field] = value.toISOString();
                else
                    shapeError(file, `services.${name}.${field}`, value, 'is not a single value; expected a string');
            }
            out.set(name, fields);
        }
    }
    return { environment: typeof environment === 'string' ? environment : undefined, services: out };
}
/** Parse and validate a manifest; `file` names it in messages (e.g. "gitops/prod:release-manifests/prod.yaml"). */
function parseManifest(text, file) {
    return readManifest(new deploy_files_YamlEditor(text, file));
}
/** The text of a new, empty manifest for an environment's first promotion. */
function newManifestText(environment) {
    return [
        `# What runs in ${environment}: one entry per service, written by sd-actions promote-manifest.`,
        '# Edits keep comments and order; the git history of this branch is the deployment ledger.',
        `environment: ${environment}`,
        'services: {}',
        '',
    ].join('\n');
}
/** True when the entry already deploys exactly this artifact (who/when do not count). */
function isSameDeployment(entry, update) {
    return (entry !== undefined &&
        entry.version === update.version &&
        entry.image === update.image &&
        entry.digest === update.digest &&
        (update.commit === undefined || entry.commit === update.commit));
}
/**
 * Write one service's entry. When the manifest already deploys the same artifact nothing
 * changes (no new promotedAt), so re-running a promotion makes no commit.
 */
function promoteInManifest(text, file, environment, service, update) {
    const editor = new YamlEditor(text, file);
    const manifest = readManifest(editor);
    if (manifest.environment !== undefined && manifest.environment !== environment)
        throw new UserError(`${file}: environment: ${show(manifest.environment)} does not match the environment being promoted to (${show(environment)}); is the manifests template right?`, { file });
    const previous = manifest.services.get(service);
    if (isSameDeployment(previous, update))
        return { text, changed: false, previous };
    if (manifest.environment === undefined)
        editor.setIn(['environment'], environment);
    const entry = {};
    for (const field of MANIFEST_FIELDS) {
        const value = update[field];
        if (value !== undefined)
            entry[field] = value;
    }
    const changed = editor.setIn(['services', service], entry);
    return { text: editor.text, changed, previous };
}
/**
 * Read a manifest entry that is about to be promoted onwards: a hand edit (`digest: dev`, a short
 * or invented commit, a version that is neither semver nor a build tag, another image) is refused
 * naming the file and key, as an input with that value would be. Undefined when the entry does not
 * name an artifact at all (no digest and no commit: nothing to promote).
 */
function validatedEntry(entry, where) {
    if (!entry || (entry.digest === undefined && entry.commit === undefined))
        return undefined;
    const key = (field) => `${where.file}: services.${where.service}.${field}`;
    const fix = `fix the entry (or promote ${where.service} into that environment again)`;
    const bad = (field, value, expected) => {
        throw new UserError(`${key(field)}: ${show(value)} is not valid; expected ${expected}; ${fix}`, {
            file: where.file,
        });
    };
    const { digest, commit, version, image, promotedAt } = entry;
    if (digest === undefined || !DIGEST_PATTERN.test(digest))
        bad('digest', digest, 'a digest like sha256:<64 lowercase hex digits> (a tag never identifies an image)');
    if (commit === undefined || !COMMIT_SHA_PATTERN.test(commit))
        bad('commit', commit, 'the full 40-character source commit SHA');
    if (version === undefined || classifyVersion(version) === undefined)
        bad('version', version, 'semver like 1.2.3 or a build tag like sha-abc1234');
    if (image !== undefined && image !== where.image)
        bad('image', image, `${where.image}, the image of ${where.service} in the config`);
    if (promotedAt !== undefined && Number.isNaN(Date.parse(promotedAt)))
        bad('promotedAt', promotedAt, 'an ISO 8601 time like 2026-01-20T10:00:00Z');
    return { version: version, image: where.image, digest: digest, commit: commit, promotedAt };
}
/** The manifest path of every environment that writes to `branch` (usually one). */
function manifestPathsOn(config, branch) {
    return [...config.environments.values()]
        .filter((env) => env.branch === branch)
        .map((env) => render(config.manifests, { environment: env.name }));
}
/**
 * A `files` entry may not name an environment manifest on the branch it is written to: the
 * manifest is written from the promotion alone, and the commit's trailers describe exactly that
 * entry. (A values edit of the manifest would leave it contradicting the ledger.)
 */
function checkDeployFiles(config, environment, specs, input = 'files') {
    const manifests = manifestPathsOn(config, environment.branch);
    for (const spec of specs) {
        if (manifests.includes(spec.path))
            throw new UserError(`Input "${input}": ${show(spec.path)} is the environment manifest on ${environment.branch} (manifests: ${config.manifests} in ${config.file}); it is written from the promotion itself, so list only kustomization or values files`);
        const problem = writablePathProblem(spec.path);
        if (problem)
            throw new UserError(`Input "${input}": ${show(spec.path)} ${problem}; expected a deployment file`);
    }
}
/**
 * The one check that the manifest text about to be committed deploys exactly the promotion
 * whose values go into the commit's trailers (both are derived from the same object).
 */
function assertManifestDeploys(text, file, service, promotion) {
    const entry = parseManifest(text, file).services.get(service);
    if (!isSameDeployment(entry, promotion))
        throw new UserError(`${file}: services.${service} would be ${show(entry)} after the edit, not the promoted ${promotion.version} (${promotion.digest}); nothing was pushed`);
}

// EXTERNAL MODULE: ./packages/core/src/versions.ts
var versions = __webpack_require__(324);
// EXTERNAL MODULE: ./packages/core/src/changes.ts
var src_changes = __webpack_require__(3464);
// EXTERNAL MODULE: ./actions/detect-changed-service/src/resolve.ts
var resolve = __webpack_require__(1198);
;// CONCATENATED MODULE: ./actions/detect-changed-service/src/deployed.ts
/**
 * `compare-to-environment`: which services differ between head and what an environment runs.
 *
 * Each service is compared with the source commit recorded for it in the environment's manifest
 * (on the environment branch of the same remote), not with the previous push. A release run
 * whose pending predecessor was cancelled (GitHub keeps one pending run per concurrency group)
 * therefore still reports the services only that cancelled push changed: dev never ran them.
 */



/** The environment named by the input, or a clear error listing the configured ones. */
function environmentOf(config, name) {
    const env = config.environments.get(name);
    if (!env)
        throw new errors/* UserError */.yo(`Input "compare-to-environment": ${(0,errors/* show */.WU)(name)} is not an environment of the config; expected one of ${[...config.environments.keys()].join(', ')}`);
    return env;
}
/** The environment's manifest text from its branch on the remote; undefined when there is none yet. */
async function fetchManifest(git, config, env, options, shallow) {
    const ref = `refs/heads/${env.branch}`;
    // FETCH_HEAD, not a ref of our own: the checkout keeps no trace. Depth 1 only where the
    // checkout is shallow already (a full clone must not become shallow).
    const args = [
        ...resolve/* FETCH */.tH.filter((a) => a !== '--no-write-fetch-head'),
        ...(shallow ? ['--depth=1'] : []),
        '--end-of-options',
        options.remote,
        ref,
    ];
    const fetched = await git.exec(args);
    if (fetched.code !== 0) {
        const listed = await git.exec(['ls-remote', '--exit-code', '--end-of-options', options.remote, ref]);
        // ls-remote exits 2 when the remote answered and has no such branch.
        if (listed.code === 2)
            return undefined;
        throw new errors/* UserError */.yo(`Could not read ${env.name}'s branch ${(0,errors/* show */.WU)(env.branch)} from ${options.remote}: ${fetched.stderr.toString().trim().split('\n').pop() ?? ''}; the detect job needs \`contents: read\` and the checkout's credentials`);
    }
    const tip = await git.run(['rev-parse', '--verify', 'FETCH_HEAD^{commit}']);
    const path = (0,templates/* render */.XX)(config.manifests, { environment: env.name });
    const shown = await git.exec(['show', `${tip}:${path}`]);
    return shown.code === 0 ? shown.stdout.toString('utf8') : undefined;
}
const deployed_all = (detail) => ({ kind: 'all', detail });
/**
 * Per service: changed when it was never deployed to the environment, when its recorded commit is
 * not in head's history (warned), or when the diff from that commit to head marks it.
 */
async function compareToEnvironment(git, config, env, head, shallow, options) {
    const text = await fetchManifest(git, config, env, options, shallow);
    const manifestName = `${env.branch}:${(0,templates/* render */.XX)(config.manifests, { environment: env.name })}`;
    const entries = text === undefined ? new Map() : parseManifest(text, manifestName).services;
    const changes = [];
    const byCommit = new Map();
    for (const service of config.services.values()) {
        const commit = entries.get(service.name)?.commit;
        if (commit === undefined)
            changes.push({ service, reason: deployed_all(`never deployed to ${env.name}`) });
        else if (!versions/* COMMIT_SHA_PATTERN */.Ml.test(commit)) {
            log/* warning */.$e(`${manifestName}: services.${service.name}.commit ${(0,errors/* show */.WU)(commit)} is not a commit SHA; reporting ${service.name} as changed`, { title: `sd-actions: ${service.name}` });
            changes.push({ service, reason: deployed_all(`${env.name} records no valid commit`) });
        }
        else
            byCommit.set(commit, [...(byCommit.get(commit) ?? []), service]);
    }
    const matcher = new src_changes/* ChangeMatcher */.jR(config);
    let fileCount = 0;
    for (const [commit, services] of byCommit) {
        const short = commit.slice(0, 12);
        const notInHistory = (why) => {
            log/* warning */.$e(`${env.name} runs ${services.map((s) => s.name).join(', ')} at ${short}, which ${why}; reporting ${services.length === 1 ? 'it' : 'them'} as changed`, { title: `Deployed commit not in history` });
            for (const service of services)
                changes.push({ service, reason: deployed_all(`${env.name} runs ${short}, ${why}`) });
        };
        if (commit === head)
            continue;
        const local = await (0,resolve/* ensureCommit */.q$)(git, commit, options.remote, shallow);
        if (!local) {
            notInHistory(`is not in this repository or on ${options.remote}`);
            continue;
        }
        let mergeBase;
        try {
            mergeBase = await (0,resolve/* mergeBaseDeepening */.Ny)(git, commit, head, options, shallow);
        }
        catch (err) {
            notInHistory(`shares no history with head (${err instanceof Error ? err.message : String(err)})`);
            continue;
        }
        if (mergeBase === head)
            continue; // the environment runs a newer commit than head
        if (mergeBase !== commit) {
            notInHistory(`is not an ancestor of head ${head.slice(0, 12)}`);
            continue;
        }
        const files = (await git.diffNameStatus(commit, head));
        fileCount += files.length;
        const wanted = new Set(services.map((s) => s.name));
        for (const change of matcher.match(files))
            if (wanted.has(change.service.name))
                changes.push(change);
    }
    changes.sort((a, b) => (a.service.name < b.service.name ? -1 : a.service.name > b.service.name ? 1 : 0));
    const commits = [...byCommit.keys()];
    return {
        changes,
        base: commits.length === 1 && changes.every((c) => c.reason.kind !== 'all') ? (commits[0] ?? '') : '',
        source: `compared with what ${env.name} runs (${manifestName})`,
        fileCount,
    };
}


/***/ })

};
