export const id = 209;
export const ids = [209];
export const modules = {

/***/ 6209:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   readConfigDocument: () => (/* binding */ readConfigDocument)
/* harmony export */ });
/* harmony import */ var yaml__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(8815);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(7638);
/**
 * The reference reading of a config file with the `yaml` library: a Document with positions, so
 * every problem can name its line and column. parseConfig only loads this module (and `yaml`)
 * when its fast path (js-yaml, no positions) finds something wrong or unusual; a valid config
 * never pays for it. Not exported from the package: import it dynamically.
 */


/**
 * The first key (by position) that repeats a key of the same mapping, with where it and the first
 * occurrence start. One Set per mapping: linear in the size of the document. Scalar keys
 * are compared by value (so `1` and `"1"` differ, as in YAML); a mapping or sequence as a key
 * is never a duplicate here.
 */
function duplicateKey(doc) {
    let found;
    // A plain walk (yaml's visit() builds a frozen path array per node: ~10x slower here).
    const walk = (node) => {
        if ((0,yaml__WEBPACK_IMPORTED_MODULE_0__/* .isMap */ .jh)(node)) {
            const seen = new Map();
            for (const pair of node.items) {
                walk(pair.key);
                walk(pair.value);
                if (!(0,yaml__WEBPACK_IMPORTED_MODULE_0__/* .isScalar */ .jn)(pair.key))
                    continue;
                const offset = pair.key.range?.[0] ?? 0;
                const first = seen.get(pair.key.value);
                if (first === undefined)
                    seen.set(pair.key.value, offset);
                else if (!found || offset < found.offset)
                    found = { key: pair.key.value, offset, firstOffset: first };
            }
        }
        else if ((0,yaml__WEBPACK_IMPORTED_MODULE_0__/* .isSeq */ .oP)(node)) {
            for (const item of node.items)
                walk(item);
        }
    };
    walk(doc.contents);
    return found;
}
/**
 * Parse config text to its plain JS value, and a way to find the line of a key path in it.
 * Throws a UserError with line and column for invalid YAML and for repeated keys.
 */
function readConfigDocument(text, file) {
    const lines = new yaml__WEBPACK_IMPORTED_MODULE_0__/* .LineCounter */ .HN();
    // uniqueKeys: false, because the library's check compares every key with every other key of
    // its mapping (quadratic in the number of services); duplicateKey does it in one pass.
    const doc = (0,yaml__WEBPACK_IMPORTED_MODULE_0__/* .parseDocument */ .Tp)(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
    const invalid = (offset, message) => {
        const pos = lines.linePos(offset);
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .UserError */ .yo(`${file}: not valid YAML at line ${pos.line}, column ${pos.col}: ${message}`, {
            file,
            line: pos.line,
            column: pos.col,
        });
    };
    if (doc.errors.length > 0) {
        const err = doc.errors[0];
        invalid(err.pos[0], err.message.split('\n')[0]);
    }
    const duplicate = duplicateKey(doc);
    if (duplicate) {
        const first = lines.linePos(duplicate.firstOffset);
        invalid(duplicate.offset, `Map keys must be unique; ${(0,_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .show */ .WU)(duplicate.key)} is repeated (first at line ${first.line})`);
    }
    const locate = (path, atKey = false) => {
        // A key's own position (an unknown or misnamed key), rather than its value's.
        if (atKey && path.length > 0) {
            const parent = doc.getIn(path.slice(0, -1), true);
            if ((0,yaml__WEBPACK_IMPORTED_MODULE_0__/* .isMap */ .jh)(parent)) {
                const last = path[path.length - 1];
                const pair = parent.items.find((p) => (0,yaml__WEBPACK_IMPORTED_MODULE_0__/* .isScalar */ .jn)(p.key) && String(p.key.value) === String(last));
                const range = pair && (0,yaml__WEBPACK_IMPORTED_MODULE_0__/* .isScalar */ .jn)(pair.key) ? pair.key.range : undefined;
                if (range) {
                    const pos = lines.linePos(range[0]);
                    return { file, line: pos.line, column: pos.col };
                }
            }
        }
        // Walk up until a node exists (a missing key is reported at its parent).
        for (let n = path.length; n >= 0; n--) {
            const node = doc.getIn(path.slice(0, n), true);
            if (node && node.range) {
                const pos = lines.linePos(node.range[0]);
                return { file, line: pos.line, column: pos.col };
            }
        }
        return { file };
    };
    let value;
    try {
        value = doc.toJS({ maxAliasCount: 100 });
    }
    catch (err) {
        // The `yaml` library's guard against alias bombs ("billion laughs").
        if (err instanceof ReferenceError && /alias/i.test(err.message))
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .UserError */ .yo(`${file}: too many YAML alias expansions (more than 100); expected a config without deeply nested aliases (*name)`, { file });
        throw err;
    }
    return { value, locate };
}


/***/ })

};
