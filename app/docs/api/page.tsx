import type { Metadata } from "next";
import { headers } from "next/headers";
import { type OpenApiDocument, openApiDocument } from "@/lib/openapi/document";
import styles from "./api-docs.module.css";
import { InlineText, type JsonSchema, SchemaView, schemaAnchor, TypeLabel } from "./schema-view";

export const metadata: Metadata = { title: "API" };
export const dynamic = "force-dynamic";

// The document is plain JSON, read here by the shape `lib/openapi/document.ts` gives it.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Operation = Record<string, any>;
interface Entry {
  method: string;
  path: string;
  operation: Operation;
}

/**
 * The API page: `/api/openapi.json` rendered on the server, grouped by tag,
 * each operation with its parameters, body, answers and an example curl. Like
 * the document it is public: it shows the shape of the API, never data.
 */
export default async function ApiDocsPage() {
  const document = openApiDocument();
  const origin = await originOf();
  const groups = document.tags.map((tag) => ({
    ...tag,
    entries: entriesOf(document).filter((entry) => entry.operation.tags?.[0] === tag.name),
  }));
  return (
    <div className={styles.page}>
      <header className={styles.intro}>
        <p className="eyebrow">API</p>
        <h1 className={styles.title}>
          {document.info.title} <span className={styles.version}>{document.info.version}</span>
        </h1>
        <p className={styles.lede}>
          <InlineText text={document.info.description} />
        </p>
        <p className={styles.lede}>
          The machine-readable document: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI{" "}
          {document.openapi}). The examples use <code>FATHOM_URL={origin}</code> and{" "}
          <code>FATHOM_API_TOKEN</code>.
        </p>
        <nav aria-label="Operations" className={styles.toc}>
          {groups.map((group) => (
            <div key={group.name}>
              <a href={`#tag-${group.name}`} className={styles.tocTag}>
                {group.name}
              </a>
              <ul>
                {group.entries.map((entry) => (
                  <li key={entry.operation.operationId}>
                    <a href={`#${entry.operation.operationId}`}>
                      <span className={styles.method} data-method={entry.method}>
                        {entry.method.toUpperCase()}
                      </span>{" "}
                      <code>{entry.path}</code>
                    </a>
                  </li>
                ))}
              </ul>
            </div>
          ))}
        </nav>
      </header>
      {groups.map((group) => (
        <section key={group.name} id={`tag-${group.name}`} className={styles.group}>
          <h2 className={styles.groupTitle}>{group.name}</h2>
          <p className="muted">
            <InlineText text={group.description} />
          </p>
          {group.entries.map((entry) => (
            <OperationCard
              key={entry.operation.operationId}
              entry={entry}
              schemas={document.components.schemas}
            />
          ))}
        </section>
      ))}
      <section id="schemas" className={styles.group}>
        <h2 className={styles.groupTitle}>Schemas</h2>
        {Object.entries(document.components.schemas).map(([name, schema]) => (
          <details key={name} id={schemaAnchor(name)} className={`card ${styles.schema}`}>
            <summary>
              <code>{name}</code>
            </summary>
            <SchemaView schema={schema} />
          </details>
        ))}
      </section>
    </div>
  );
}

function entriesOf(document: OpenApiDocument): Entry[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ method, path, operation: operation as Operation })),
  );
}

/** A referenced component's fields, folded: the shape without leaving the operation. */
function Shape({ schema, schemas }: { schema: JsonSchema; schemas: Record<string, JsonSchema> }) {
  const name = typeof schema.$ref === "string" ? schema.$ref.split("/").pop() : undefined;
  const target = name ? schemas[name] : undefined;
  if (!target) return null;
  return (
    <details className={styles.shape}>
      <summary>fields of {name}</summary>
      <SchemaView schema={target} />
    </details>
  );
}

function OperationCard({ entry, schemas }: { entry: Entry; schemas: Record<string, JsonSchema> }) {
  const { operation, method, path } = entry;
  const parameters = (operation.parameters ?? []) as Operation[];
  const body = operation.requestBody?.content as Record<string, { schema: JsonSchema }> | undefined;
  const responses = Object.entries(operation.responses as Record<string, Operation>).filter(
    ([, response]) => response.$ref === undefined,
  );
  const refusals = Object.entries(operation.responses as Record<string, Operation>)
    .filter(([status, response]) => response.$ref !== undefined && status !== "default")
    .map(([status]) => status);
  return (
    <article
      id={operation.operationId}
      className={`card ${styles.operation}`}
      data-operation={`${method.toUpperCase()} ${path}`}
    >
      <h3 className={styles.operationTitle}>
        <span className={styles.method} data-method={method}>
          {method.toUpperCase()}
        </span>
        <code className={styles.path}>{path}</code>
        {operation.security?.length === 0 ? <span className={styles.badge}>no token</span> : null}
      </h3>
      <p className={styles.summary}>
        <InlineText text={operation.summary} />
      </p>
      {String(operation.description ?? "")
        .split("\n\n")
        .filter(Boolean)
        .map((paragraph) => (
          <p key={paragraph} className="muted">
            <InlineText text={paragraph} />
          </p>
        ))}
      {parameters.length > 0 ? (
        <>
          <h4 className={styles.label}>Parameters</h4>
          <table className={styles.fields}>
            <tbody>
              {parameters.map((parameter) => (
                <tr key={`${parameter.in}-${parameter.name}`}>
                  <td className={styles.fieldName}>
                    <code>{parameter.name}</code>
                    <span className={styles.optional}>
                      {parameter.in}
                      {parameter.required ? "" : ", optional"}
                    </span>
                  </td>
                  <td>
                    <TypeLabel schema={parameter.schema} />
                    {parameter.description ? (
                      <div className={styles.fieldNote}>{parameter.description}</div>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      {body ? (
        <>
          <h4 className={styles.label}>Body</h4>
          {Object.entries(body).map(([type, media]) => (
            <div key={type} className={styles.media}>
              <code className={styles.mediaType}>{type}</code>
              {type === "multipart/form-data" ? (
                <p className="muted">
                  <InlineText text={String(media.schema.description ?? "")} />
                </p>
              ) : (
                <>
                  <TypeLabel schema={media.schema} />
                  <Shape schema={media.schema} schemas={schemas} />
                </>
              )}
            </div>
          ))}
        </>
      ) : null}
      <h4 className={styles.label}>Answers</h4>
      <ul className={styles.responses}>
        {responses.map(([status, response]) => (
          <li key={status}>
            <span className={styles.status}>{status}</span> <InlineText text={response.description} />{" "}
            <ResponseContent response={response} schemas={schemas} />
          </li>
        ))}
        <li>
          <span className={styles.status}>{refusals.join(", ")}</span> refusals:{" "}
          <a className={styles.typeRef} href={`#${schemaAnchor("Error")}`}>
            Error
          </a>
        </li>
      </ul>
      <h4 className={styles.label}>Example</h4>
      <div
        className={styles.curl}
        role="region"
        aria-label={`Example: ${entry.operation.operationId}`}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a region that scrolls sideways takes the focus, so a keyboard can scroll it (WCAG 2.1.1)
        tabIndex={0}
      >
        <pre>
          <code>{curlOf(entry)}</code>
        </pre>
      </div>
    </article>
  );
}

function ResponseContent({
  response,
  schemas,
}: {
  response: Operation;
  schemas: Record<string, JsonSchema>;
}) {
  const content = response.content as Record<string, Operation> | undefined;
  if (!content) return null;
  return (
    <>
      {Object.entries(content).map(([type, media]) => {
        const events = media["x-events"] as Record<string, JsonSchema> | undefined;
        return (
          <span key={type} className={styles.media}>
            <code className={styles.mediaType}>{type}</code>{" "}
            {events ? (
              <span className={styles.events}>
                {Object.entries(events).map(([event, schema]) => (
                  <span key={event}>
                    <code>{event}</code>: <TypeLabel schema={schema} />{" "}
                  </span>
                ))}
              </span>
            ) : type === "application/json" ? (
              <>
                <TypeLabel schema={media.schema} />
                <Shape schema={media.schema} schemas={schemas} />
              </>
            ) : null}
          </span>
        );
      })}
    </>
  );
}

/** Example values of path parameters, by their pattern. */
function exampleParameter(parameter: Operation): string {
  const schema = parameter.schema as JsonSchema;
  if (Array.isArray(schema.enum)) return String(schema.enum[0]);
  if (parameter.name === "name") return "my-papers";
  if (schema.pattern === "^[0-9a-f]{32}$") return "0123456789abcdef0123456789abcdef";
  if (schema.pattern === "^[A-Za-z0-9_-]{21}$") return "V1StGXR8_Z5jdHi6B-myT";
  return parameter.name;
}

/** A curl command for an operation: its method, path, token, and the declared example body. */
function curlOf({ method, path, operation }: Entry): string {
  let url = path;
  for (const parameter of (operation.parameters ?? []) as Operation[]) {
    if (parameter.in === "path") url = url.replace(`{${parameter.name}}`, exampleParameter(parameter));
  }
  const query = ((operation.parameters ?? []) as Operation[]).filter(
    (parameter) => parameter.in === "query" && parameter.required,
  );
  if (query.length > 0) {
    url += `?${query.map((parameter) => `${parameter.name}=${encodeURIComponent(exampleQuery(parameter))}`).join("&")}`;
  }
  const lines = [`curl${method === "get" ? "" : ` -X ${method.toUpperCase()}`} "$FATHOM_URL${url}"`];
  if (operation.security?.length !== 0) lines.push(`-H "Authorization: Bearer $FATHOM_API_TOKEN"`);
  const streams = Object.values(operation.responses as Record<string, Operation>).some(
    (response) => response.content?.["text/event-stream"],
  );
  if (streams) lines.push(method === "post" ? `-H "Accept: application/json"` : "-N");
  const example = operation.requestBody?.content?.["application/json"]?.example;
  if (example !== undefined) {
    lines.push(`-H "Content-Type: application/json"`, `-d '${JSON.stringify(example)}'`);
  }
  return lines.join(" \\\n  ");
}

function exampleQuery(parameter: Operation): string {
  if (parameter.name === "query") return "What did presidents say about railroads?";
  const schema = parameter.schema as JsonSchema;
  if (Array.isArray(schema.enum)) return String(schema.enum[0]);
  return parameter.name;
}

/** This server's origin as the browser reached it, for the examples. */
async function originOf(): Promise<string> {
  const list = await headers();
  const host = list.get("x-forwarded-host") ?? list.get("host") ?? "localhost:3000";
  const protocol = list.get("x-forwarded-proto") ?? "http";
  return `${protocol.split(",")[0]!.trim()}://${host.split(",")[0]!.trim()}`;
}
