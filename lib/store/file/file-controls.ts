import fs from "node:fs/promises";
import { nanoid } from "nanoid";
import writeFileAtomic from "write-file-atomic";
import { z } from "zod";
import { parseJson } from "../../parse-json";
import type { ControlAction } from "../types";
import { ignoreMissing, isCode, readText } from "./file-io";
import type { FileLayout } from "./file-layout";

/**
 * Controls for a task's owner: any process leaves one as a file of its own
 * (`<id>/control-<time>-<nanoid>.json`, so every file has one writer); the
 * owner takes them in the order they were sent and removes them.
 */

const controlJsonSchema = z.object({ action: z.enum(["cancel", "pause", "finish", "delete"]) });

export async function sendFileControl(
  layout: FileLayout,
  taskId: string,
  action: ControlAction,
): Promise<void> {
  const target = layout.taskFile(taskId, `control-${Date.now()}-${nanoid(8)}.json`);
  await writeFileAtomic(target, JSON.stringify({ action }));
}

export async function takeFileControls(layout: FileLayout, taskId: string): Promise<ControlAction[]> {
  let names: string[];
  try {
    names = (await fs.readdir(layout.taskDir(taskId))).filter((name) => name.startsWith("control-")).sort();
  } catch (error) {
    if (isCode(error, "ENOENT")) return [];
    throw error;
  }
  const actions: ControlAction[] = [];
  for (const name of names) {
    const file = layout.taskFile(taskId, name);
    const text = await readText(file);
    await fs.unlink(file).catch(ignoreMissing);
    const parsed = text ? parseJson(text, controlJsonSchema) : null;
    if (parsed) actions.push(parsed.action);
  }
  return actions;
}
