// The form's limits, read from the API's own OpenAPI document (GET {apiBase}/openapi.json), so
// the page checks exactly what the API checks and nothing is restated here by hand.

import { call } from "./api.js";

/**
 * Every leaf field of `schemaName` by its dotted path ("applicant.email", as the API's
 * `errors[].field` names it): {required, minLength, maxLength, htmlPattern, enum}.
 */
export async function loadRules(schemaName = "ApplicationRequest") {
  const answer = await call("GET", "/openapi.json");
  if (answer.status !== 200 || !answer.data?.components?.schemas?.[schemaName]) {
    throw new Error(`openapi.json: ${answer.status}`);
  }
  return rulesOf(answer.data, schemaName);
}

export function rulesOf(document, schemaName) {
  const schemas = document.components.schemas;
  const resolve = (schema) => {
    let seen = 0;
    while (schema && seen++ < 20) {
      if (schema.$ref) schema = schemas[schema.$ref.split("/").pop()];
      else if (schema.allOf?.length === 1) schema = schema.allOf[0];
      else break;
    }
    return schema ?? {};
  };
  const rules = {};
  const walk = (schema, path, required) => {
    const resolved = resolve(schema);
    if (resolved.type === "object" && resolved.properties) {
      const needed = new Set(resolved.required ?? []);
      for (const [name, child] of Object.entries(resolved.properties)) {
        walk(child, path ? `${path}.${name}` : name, required && needed.has(name));
      }
      return;
    }
    rules[path] = {
      required,
      minLength: resolved.minLength,
      maxLength: resolved.maxLength,
      htmlPattern: resolved.pattern === undefined ? undefined : htmlPattern(resolved.pattern),
      enum: resolved.enum,
    };
  };
  walk({ $ref: `#/components/schemas/${schemaName}` }, "", true);
  return rules;
}

/**
 * A pydantic (Python `re`) pattern as an HTML `pattern` attribute. The browser anchors the
 * attribute itself (^(?:...)$) and compiles it with the `v` flag, under which a literal `-` at
 * the edge of a class and the characters ( ) [ ] { } / | inside one must be escaped. Undefined
 * when the result does not compile: the API still checks that field.
 */
export function htmlPattern(pattern) {
  let source = pattern;
  if (source.startsWith("^")) source = source.slice(1);
  if (source.endsWith("$") && !source.endsWith("\\$")) source = source.slice(0, -1);
  source = escapeForV(source);
  return compiles(source) ? source : undefined;
}

function escapeForV(source) {
  let out = "";
  let inClass = false;
  let classStart = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") {
      out += c + (source[i + 1] ?? "");
      i++;
      continue;
    }
    if (!inClass) {
      if (c === "[") {
        inClass = true;
        classStart = out.length + 1;
        if (source[i + 1] === "^") {
          out += "[^";
          i++;
          classStart++;
          continue;
        }
      }
      out += c;
      continue;
    }
    if (c === "]" && out.length > classStart) {
      inClass = false;
      out += c;
      continue;
    }
    if (c === "-") {
      // A range (a-z) keeps its dash; a dash first or last in the class is a character.
      const first = out.length === classStart;
      const last = source[i + 1] === "]";
      out += first || last ? "\\-" : "-";
      continue;
    }
    out += "()[]{}/|".includes(c) ? `\\${c}` : c;
  }
  return out;
}

function compiles(source) {
  try {
    new RegExp(`^(?:${source})$`, "v");
    return true;
  } catch {
    return false;
  }
}

/** The browser's reading of a `pattern` attribute, to check a (trimmed) value against it. */
export function patternMatches(attribute, value) {
  return new RegExp(`^(?:${attribute})$`, "v").test(value);
}
