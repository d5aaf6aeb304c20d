// Checks schemas/ and the examples in tests/data/ with ajv, an independent validator, so that our
// own validator (valijson in core/schema) and the schemas agree with a reference implementation.
// Usage: node tests/schema/ajv_check.mjs [repo_root]
import { readFileSync, readdirSync, existsSync, statSync } from "node:fs";
import { join, dirname, resolve, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "..", "package.json"));
const Ajv = require("ajv");
const addFormats = require("ajv-formats");

const root = resolve(process.argv[2] ?? join(here, "..", ".."));
const schemaDir = join(root, "schemas");
const dataDir = join(root, "tests", "data");

// The closed category list (DESIGN section 3); the keyword's value must be one of these.
const CATEGORIES = ["identity", "identifier.bsn", "identifier.eckid", "contact", "education",
  "wellbeing", "health", "family", "case", "views", "meeting"];

let passed = 0;
let failed = 0;
function report(ok, what, why = "") {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "PASS" : "FAIL"} ${what}${why ? ": " + why : ""}`);
}

function readJson(file) {
  return JSON.parse(readFileSync(file, "utf8"));
}

function listJson(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith(".json")).sort().map((f) => join(dir, f));
}

function listDirs(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((d) => statSync(join(dir, d)).isDirectory()).sort();
}

const ajv = new Ajv({ strict: true, allErrors: true });
addFormats(ajv);
ajv.addKeyword({ keyword: "x-schakel-category", schemaType: "string", metaSchema: { enum: CATEGORIES } });

// The keyword must refuse a value outside the closed list, or a typo would pass unnoticed.
try {
  ajv.compile({ type: "string", "x-schakel-category": "medical" });
  report(false, "x-schakel-category refuses an unknown category", "was accepted");
} catch (e) {
  report(/x-schakel-category/.test(e.message), "x-schakel-category refuses an unknown category", "");
}

// Load every schema first so cross-file $refs resolve, then compile each.
const schemaFiles = readdirSync(schemaDir).filter((f) => f.endsWith(".schema.json")).sort();
const ids = new Map();
for (const file of schemaFiles) {
  const name = file.slice(0, -".schema.json".length);
  try {
    const schema = readJson(join(schemaDir, file));
    const expected = `https://schakel.invalid/schemas/${file}`;
    if (schema.$id !== expected) throw new Error(`$id is ${JSON.stringify(schema.$id)}, expected ${expected}`);
    ajv.addSchema(schema);
    ids.set(name, schema.$id);
  } catch (e) {
    report(false, `load schemas/${file}`, e.message);
  }
}
const validators = new Map();
for (const [name, id] of ids) {
  try {
    validators.set(name, ajv.getSchema(id));
    report(true, `compile schemas/${name}.schema.json`);
  } catch (e) {
    report(false, `compile schemas/${name}.schema.json`, e.message);
  }
}

function describe(errors) {
  return (errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`).join("; ");
}

for (const entity of listDirs(join(dataDir, "valid"))) {
  for (const file of listJson(join(dataDir, "valid", entity))) {
    const what = `valid ${relative(root, file)}`;
    const validate = validators.get(entity);
    if (!validate) { report(false, what, `no schema schemas/${entity}.schema.json`); continue; }
    const ok = validate(readJson(file));
    report(ok, what, ok ? "" : describe(validate.errors));
  }
}

for (const entity of listDirs(join(dataDir, "invalid"))) {
  for (const file of listJson(join(dataDir, "invalid", entity))) {
    const what = `invalid ${relative(root, file)}`;
    const validate = validators.get(entity);
    if (!validate) { report(false, what, `no schema schemas/${entity}.schema.json`); continue; }
    const example = readJson(file);
    if (typeof example.expect_pointer !== "string" || typeof example.document !== "object") {
      report(false, what, "must be {expect_pointer, document}");
      continue;
    }
    if (validate(example.document)) { report(false, what, "was accepted"); continue; }
    // A missing or additional property is reported at the object that lacks or has it.
    const at = validate.errors.some((e) => e.instancePath === example.expect_pointer);
    report(at, what, at ? "" : `no error at ${example.expect_pointer}; got ${describe(validate.errors)}`);
  }
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
