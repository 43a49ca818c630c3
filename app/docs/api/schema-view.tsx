import type { ReactNode } from "react";
import styles from "./api-docs.module.css";

/** A JSON Schema as the API document holds it. */
export type JsonSchema = Record<string, unknown>;

/** Text of the document with its `code spans` shown as code (the only markup its descriptions use). */
export function InlineText({ text }: { text: string }): ReactNode {
  const parts = text.split("`");
  return parts.map((part, index) =>
    // A part's place in the text is its identity; odd places are inside backticks.
    // biome-ignore lint/suspicious/noArrayIndexKey: see above
    index % 2 === 1 ? <code key={index}>{part}</code> : <span key={index}>{part}</span>,
  );
}

/** The anchor of a component schema on the page. */
export function schemaAnchor(name: string): string {
  return `schema-${name}`;
}

function refName(schema: JsonSchema): string | undefined {
  const ref = schema.$ref;
  return typeof ref === "string" ? ref.split("/").pop() : undefined;
}

/** A one-line type: `string`, `integer 1–5`, `"a" | "b"`, a link to a component, `array of …`. */
export function TypeLabel({ schema }: { schema: JsonSchema }): ReactNode {
  const name = refName(schema);
  if (name) {
    return (
      <a className={styles.typeRef} href={`#${schemaAnchor(name)}`}>
        {name}
      </a>
    );
  }
  if (Array.isArray(schema.enum)) {
    return (
      <code className={styles.type}>{schema.enum.map((value) => JSON.stringify(value)).join(" | ")}</code>
    );
  }
  if (schema.const !== undefined) return <code className={styles.type}>{JSON.stringify(schema.const)}</code>;
  const union = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(union)) {
    return (
      <span>
        {union.map((part, index) => (
          // The parts of a union never change order: the index is their identity.
          // biome-ignore lint/suspicious/noArrayIndexKey: see above
          <span key={index}>
            {index > 0 ? " | " : null}
            <TypeLabel schema={part} />
          </span>
        ))}
      </span>
    );
  }
  if (schema.type === "array" && schema.items && typeof schema.items === "object") {
    return (
      <span>
        <code className={styles.type}>array of </code>
        <TypeLabel schema={schema.items as JsonSchema} />
      </span>
    );
  }
  const type = Array.isArray(schema.type) ? schema.type.join(" | ") : String(schema.type ?? "any");
  return <code className={styles.type}>{`${type}${constraints(schema)}`}</code>;
}

function constraints(schema: JsonSchema): string {
  const parts: string[] = [];
  const range = (min: unknown, max: unknown, unit = "") => {
    const large = (value: unknown) => typeof value === "number" && Math.abs(value) >= 2 ** 53 - 1;
    const low = large(min) ? undefined : min;
    const high = large(max) ? undefined : max;
    if (low !== undefined && high !== undefined) parts.push(`${low}–${high}${unit}`);
    else if (low !== undefined) parts.push(`≥ ${low}${unit}`);
    else if (high !== undefined) parts.push(`≤ ${high}${unit}`);
  };
  range(schema.minimum, schema.maximum);
  range(schema.minLength, schema.maxLength, " chars");
  range(schema.minItems, schema.maxItems, " items");
  if (typeof schema.format === "string") parts.push(schema.format);
  if (typeof schema.pattern === "string") parts.push(`/${schema.pattern}/`);
  return parts.length > 0 ? ` (${parts.join(", ")})` : "";
}

/** An object's fields as a table (nested objects inline, one level deeper each), else its type. */
export function SchemaView({ schema, depth = 0 }: { schema: JsonSchema; depth?: number }): ReactNode {
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (schema.type !== "object" || !properties || refName(schema)) return <TypeLabel schema={schema} />;
  const required = new Set((schema.required ?? []) as string[]);
  const entries = Object.entries(properties);
  if (entries.length === 0) return <code className={styles.type}>object</code>;
  return (
    <table className={styles.fields} data-depth={depth}>
      <tbody>
        {entries.map(([name, property]) => (
          <tr key={name}>
            <td className={styles.fieldName}>
              <code>{name}</code>
              {required.has(name) ? null : <span className={styles.optional}>optional</span>}
            </td>
            <td>
              {property.type === "object" && property.properties && depth < 3 ? (
                <SchemaView schema={property} depth={depth + 1} />
              ) : (
                <TypeLabel schema={property} />
              )}
              {typeof property.description === "string" ? (
                <div className={styles.fieldNote}>
                  <InlineText text={property.description} />
                </div>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
