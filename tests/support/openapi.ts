import { Validator } from "@seriousme/openapi-schema-validator";
import type { ErrorObject, ValidateFunction } from "ajv";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";

/**
 * Checks against an OpenAPI document: the document itself (the OpenAPI 3.1
 * meta-schema) and real answers (their status documented for the
 * operation, their body valid against the documented schema, with JSON
 * Schema 2020-12 as OpenAPI 3.1 says).
 */

/** Whether `document` is valid OpenAPI; the errors as readable text when not. */
export async function validateOpenApiDocument(
  document: unknown,
): Promise<{ valid: boolean; version: string | undefined; errors: string }> {
  const validator = new Validator();
  // The validator keeps what it is given: a copy, so the caller's object is never changed.
  const result = await validator.validate(structuredClone(document) as Record<string, unknown>);
  return {
    valid: result.valid,
    version: validator.version,
    errors: result.valid ? "" : JSON.stringify(result.errors, null, 2).slice(0, 4000),
  };
}

// An OpenAPI document is plain JSON walked by its known shape.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Json = Record<string, any>;

const pointerSegment = (segment: string) => segment.replace(/~/g, "~0").replace(/\//g, "~1");

export interface AnswerChecker {
  /**
   * Throws unless the operation `method path` (the OpenAPI path, `/api/tasks/{id}`)
   * documents `status` (or a default) and `body` is valid against its JSON schema.
   */
  json(method: string, path: string, status: number, body: unknown): void;
  /** Throws unless the operation documents `status` (or a default). */
  status(method: string, path: string, status: number): void;
  /** Throws unless each event's type is documented for the stream and its data is valid. */
  events(method: string, path: string, events: { event: string; data: unknown }[]): void;
  /** Throws unless `body` is valid against the component schema `name`. */
  component(name: string, body: unknown): void;
}

export function answerChecker(document: Json): AnswerChecker {
  const ajv = new Ajv2020({ strict: false, validateSchema: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(document, "openapi");
  const compiled = new Map<string, ValidateFunction>();
  const validatorAt = (pointer: string) => {
    let validate = compiled.get(pointer);
    if (!validate) {
      validate = ajv.compile({ $ref: `openapi#${pointer}` });
      compiled.set(pointer, validate);
    }
    return validate;
  };
  const check = (pointer: string, body: unknown, what: string) => {
    const validate = validatorAt(pointer);
    if (!validate(body)) {
      const problems = (validate.errors ?? [])
        .slice(0, 10)
        .map(
          (error: ErrorObject) =>
            `${error.instancePath || "/"} ${error.message} ${JSON.stringify(error.params)}`,
        );
      throw new Error(
        `${what} does not match the document:\n${problems.join("\n")}\n${JSON.stringify(body).slice(0, 600)}`,
      );
    }
  };
  const operation = (method: string, path: string): Json => {
    const found = document.paths?.[path]?.[method.toLowerCase()];
    if (!found) throw new Error(`The document has no operation ${method} ${path}.`);
    return found;
  };
  /** The pointer of the response `status` of an operation, following a `$ref` to `components.responses`. */
  const responsePointer = (
    method: string,
    path: string,
    status: number,
  ): { pointer: string; response: Json } => {
    const responses = operation(method, path).responses as Json;
    const key = String(status) in responses ? String(status) : "default" in responses ? "default" : null;
    if (key === null) throw new Error(`${method} ${path} does not document status ${status}.`);
    const response = responses[key] as Json;
    if (typeof response.$ref === "string") {
      const name = (response.$ref as string).split("/").pop()!;
      return {
        pointer: `/components/responses/${pointerSegment(name)}`,
        response: document.components.responses[name],
      };
    }
    return {
      pointer: `/paths/${pointerSegment(path)}/${method.toLowerCase()}/responses/${key}`,
      response,
    };
  };
  return {
    status(method, path, status) {
      responsePointer(method, path, status);
    },
    json(method, path, status, body) {
      const { pointer, response } = responsePointer(method, path, status);
      if (!response.content?.["application/json"]) {
        throw new Error(`${method} ${path} ${status} documents no JSON body.`);
      }
      check(`${pointer}/content/application~1json/schema`, body, `${method} ${path} ${status}`);
    },
    events(method, path, events) {
      const { pointer, response } = responsePointer(method, path, 200);
      const documented = response.content?.["text/event-stream"]?.["x-events"] as Json | undefined;
      if (!documented) throw new Error(`${method} ${path} documents no event stream.`);
      for (const event of events) {
        if (!(event.event in documented)) {
          throw new Error(`${method} ${path} sent an undocumented event type ${event.event}.`);
        }
        check(
          `${pointer}/content/text~1event-stream/x-events/${pointerSegment(event.event)}`,
          event.data,
          `${method} ${path} event ${event.event}`,
        );
      }
    },
    component(name, body) {
      check(`/components/schemas/${pointerSegment(name)}`, body, `component ${name}`);
    },
  };
}
