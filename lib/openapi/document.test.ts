import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { answerChecker, validateOpenApiDocument } from "@/tests/support/openapi";
import { API_VERSION, openApiDocument } from "./document";
import { operations } from "./operations";

/**
 * The document and the route files must agree, both ways: every method a
 * route file handles is documented, and every documented operation has a
 * route file that handles its method.
 */

const root = path.resolve(__dirname, "..", "..");
const apiDir = path.join(root, "app", "api");
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

function routeFiles(folder: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) out.push(...routeFiles(full));
    else if (entry.name === "route.ts") out.push(full);
  }
  return out;
}

/** `app/api/tasks/[id]/route.ts` → `/api/tasks/{id}`; null for the catch-all 404 and private folders. */
function openApiPathOf(file: string): string | null {
  const segments = path.relative(path.join(root, "app"), path.dirname(file)).split(path.sep);
  if (segments.some((segment) => segment.startsWith("[...") || segment.startsWith("_"))) return null;
  return `/${segments.map((segment) => segment.replace(/^\[(\w+)\]$/, "{$1}")).join("/")}`;
}

/**
 * The HTTP methods a route file handles: its exported `GET`, `POST`… except
 * the ones it destructures from `otherMethods(…)`, which only answer 405.
 */
function handledMethods(source: string, fileName = "route.ts"): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const handled = new Set<string>();
  const isMethod = (name: string) => (METHODS as readonly string[]).includes(name);
  const exported = (node: ts.Node) =>
    ts.canHaveModifiers(node) &&
    (ts.getModifiers(node) ?? []).some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword);
  const callsOtherMethods = (initializer: ts.Expression | undefined) =>
    initializer !== undefined &&
    ts.isCallExpression(initializer) &&
    ts.isIdentifier(initializer.expression) &&
    initializer.expression.text === "otherMethods";
  for (const statement of file.statements) {
    if (ts.isFunctionDeclaration(statement) && exported(statement) && statement.name) {
      if (isMethod(statement.name.text)) handled.add(statement.name.text);
    }
    if (ts.isVariableStatement(statement) && exported(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name)) {
          if (isMethod(declaration.name.text) && !callsOtherMethods(declaration.initializer)) {
            handled.add(declaration.name.text);
          }
        } else if (
          ts.isObjectBindingPattern(declaration.name) &&
          !callsOtherMethods(declaration.initializer)
        ) {
          for (const element of declaration.name.elements) {
            if (ts.isIdentifier(element.name) && isMethod(element.name.text)) handled.add(element.name.text);
          }
        }
      }
    }
    if (
      ts.isExportDeclaration(statement) &&
      statement.exportClause &&
      ts.isNamedExports(statement.exportClause)
    ) {
      for (const element of statement.exportClause.elements) {
        if (isMethod(element.name.text)) handled.add(element.name.text);
      }
    }
  }
  return [...handled].sort();
}

function routeOperations(): string[] {
  const out: string[] = [];
  for (const file of routeFiles(apiDir)) {
    const apiPath = openApiPathOf(file);
    if (apiPath === null) continue;
    for (const method of handledMethods(fs.readFileSync(file, "utf8"), file))
      out.push(`${method} ${apiPath}`);
  }
  return out.sort();
}

function documentOperations(): string[] {
  const out: string[] = [];
  for (const [apiPath, item] of Object.entries(openApiDocument().paths)) {
    for (const method of Object.keys(item)) out.push(`${method.toUpperCase()} ${apiPath}`);
  }
  return out.sort();
}

describe("handledMethods", () => {
  it("counts exported handlers and leaves out the 405 answers of otherMethods", () => {
    const source = `
      export const GET = route(async () => new Response());
      export async function DELETE() { return new Response(); }
      export const OPTIONS = async (request: Request) => preflight(request);
      export const { POST, PUT, PATCH } = otherMethods("GET, DELETE, OPTIONS");
    `;
    expect(handledMethods(source)).toEqual(["DELETE", "GET"]);
  });

  it("counts methods re-exported or destructured from anything but otherMethods", () => {
    const source = `
      const handlers = make();
      export const { GET, POST } = handlers;
      export { notFound as PATCH };
    `;
    expect(handledMethods(source)).toEqual(["GET", "PATCH", "POST"]);
  });
});

describe("the API document and the route files", () => {
  it("finds the route files (the walk itself works)", () => {
    expect(routeOperations()).toContain("GET /api/tasks/{id}");
    expect(routeOperations()).toContain("POST /api/tasks/{id}/{action}");
  });

  it("documents every method every route handles", () => {
    const documented = new Set(documentOperations());
    expect(routeOperations().filter((operation) => !documented.has(operation))).toEqual([]);
  });

  it("has a route for every documented operation", () => {
    const routes = new Set(routeOperations());
    expect(documentOperations().filter((operation) => !routes.has(operation))).toEqual([]);
  });

  it("names each path parameter of a path, and only those", () => {
    for (const operation of operations) {
      const inPath = [...operation.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
      expect(Object.keys(operation.pathParameters ?? {}).sort(), operation.path).toEqual(inPath);
    }
  });

  it("gives each operation a unique operationId", () => {
    const ids = operations.map((operation) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("resolves every $ref to a component that exists", () => {
    const document = openApiDocument();
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/(\w+)\/(\w+)"/g)];
    expect(refs.length).toBeGreaterThan(0);
    for (const [, kind, name] of refs) {
      const components = document.components[kind as keyof typeof document.components] as Record<
        string,
        unknown
      >;
      expect(components?.[name!], `#/components/${kind}/${name}`).toBeDefined();
    }
  });
});

describe("the API document", () => {
  it("carries the package's version", () => {
    const packageJson = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
      version: string;
    };
    expect(openApiDocument().info.version).toBe(packageJson.version);
    expect(API_VERSION).toBe(packageJson.version);
  });

  it("is valid OpenAPI 3.1", async () => {
    const result = await validateOpenApiDocument(openApiDocument());
    expect(result.errors).toBe("");
    expect(result.valid).toBe(true);
    expect(result.version).toBe("3.1");
  });

  it("describes the error body once, and answers are checked against it", () => {
    const checker = answerChecker(openApiDocument());
    expect(() =>
      checker.json("GET", "/api/tasks/{id}", 404, { error: { code: "not_found", message: "No task x." } }),
    ).not.toThrow();
    expect(() => checker.json("GET", "/api/tasks/{id}", 404, { error: { code: "not_found" } })).toThrow(
      /message/,
    );
    expect(() => checker.json("GET", "/api/tasks/{id}", 200, { id: "x" })).toThrow(/does not match/);
  });
});
