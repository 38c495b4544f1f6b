import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { PipelineError } from "@openaq-lakehouse/pipeline-core";

/** Commands that only read a local lake: a mistyped `--lake` must not create an empty one. */
export const READ_ONLY_COMMANDS: ReadonlySet<string> = new Set(["query", "validate", "views", "dashboard"]);

/** A lake the CLI cannot use as given: bad configuration, exit 2. */
export class LakeError extends PipelineError {
  constructor(message: string) {
    super("LAKE_UNUSABLE", message);
  }
}

/** What an errno says about a path, in words. */
export function describeErrno(code: string | undefined): string {
  switch (code) {
    case "ENOENT":
      return "it does not exist";
    case "ENOTDIR":
      return "a part of the path is a file, not a folder";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EROFS":
      return "the file system is read-only";
    case "ENOSPC":
      return "no space left on the device";
    case "EISDIR":
      return "it is a folder";
    case "ELOOP":
      return "too many symbolic links";
    case "ENAMETOOLONG":
      return "the name is too long";
    case "EEXIST":
      return "it already exists";
    default:
      return code ?? "unknown error";
  }
}

/**
 * Checks a local lake folder (`parseLakeUri`'s path) before a command starts, so a bad path is one sentence naming the
 * path and what is wrong with it (exit 2), not an errno in the middle of a run. `mustExist` for
 * read-only commands; otherwise the folder, or the nearest folder that exists above it, must be
 * writable, since the command will create what it needs below it.
 */
export async function assertLocalLake(folder: string, opts: { mustExist: boolean }): Promise<void> {
  const path = resolve(folder);
  const info = await stat(path).catch((e: NodeJS.ErrnoException) => e);
  if (info instanceof Error) {
    if (info.code !== "ENOENT" || opts.mustExist) {
      const why =
        info.code === "ENOENT"
          ? "it does not exist (check --lake; this command never creates a lake)"
          : describeErrno(info.code);
      throw new LakeError(`The lake ${path} cannot be used: ${why}.`);
    }
    let parent = dirname(path);
    for (;;) {
      const p = await stat(parent).catch((e: NodeJS.ErrnoException) => e);
      if (!(p instanceof Error)) {
        if (!p.isDirectory())
          throw new LakeError(`The lake ${path} cannot be created: ${parent} is a file, not a folder.`);
        break;
      }
      if (p.code !== "ENOENT" || dirname(parent) === parent) {
        throw new LakeError(`The lake ${path} cannot be created: ${parent}: ${describeErrno(p.code)}.`);
      }
      parent = dirname(parent);
    }
    await access(parent, constants.W_OK | constants.X_OK).catch((e: NodeJS.ErrnoException) => {
      throw new LakeError(`The lake ${path} cannot be created in ${parent}: ${describeErrno(e.code)}.`);
    });
    return;
  }
  if (!info.isDirectory()) throw new LakeError(`The lake ${path} is a file, not a folder.`);
  await access(path, constants.R_OK | constants.X_OK).catch((e: NodeJS.ErrnoException) => {
    throw new LakeError(`The lake ${path} cannot be read: ${describeErrno(e.code)}.`);
  });
  if (!opts.mustExist) {
    await access(path, constants.W_OK).catch((e: NodeJS.ErrnoException) => {
      throw new LakeError(`The lake ${path} is not writable: ${describeErrno(e.code)}.`);
    });
  }
}

/** A Node filesystem error (`code`, `syscall`, `path`) as a sentence naming the path and the problem. */
export function filesystemSentence(e: unknown): string | undefined {
  const err = e as NodeJS.ErrnoException;
  if (!(e instanceof Error) || typeof err.code !== "string" || typeof err.path !== "string") return undefined;
  const verb = err.syscall ? ` (${err.syscall})` : "";
  return `Cannot use ${err.path}${verb}: ${describeErrno(err.code)}.`;
}
