import { databaseName, type Environment } from "@openaq-lakehouse/pipeline-core";
import { assertEngineDatabase, type QueryEngine } from "./engine.js";
import { renderViews } from "./views/render.js";

/** Creates or replaces the env's serving views on the engine; returns their qualified names in order. */
export async function deployViews(
  engine: QueryEngine,
  opts: { env: Environment; windowDays?: number },
): Promise<{ views: string[] }> {
  assertEngineDatabase(engine, databaseName(opts.env));
  const views: string[] = [];
  for (const view of renderViews(opts)) {
    await engine.query(view.sql);
    views.push(view.qualifiedName);
  }
  return { views };
}
