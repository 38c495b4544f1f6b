/**
 * What every script on the Airflow host shares: where the bundle lives, and the opening lines.
 * The user data, the sync job and the idle check (infra/src/sleep) all start from here.
 */

/** Install folder on the host: bundle/, secrets/, state/, host.env. */
export const HOST_INSTALL_DIR = "/opt/openaq-airflow";
/** Where the sync job mirrors the bundle on the host (DockerOperator mounts refer to host paths). */
export const HOST_BUNDLE_DIR = `${HOST_INSTALL_DIR}/bundle`;
/** Bundle file naming the extractor image; the sync job pulls exactly this reference. */
export const IMAGE_FILE = "extractor-image.txt";

/**
 * The opening of a host script: the shebang, `# name: …` and the given comment lines, strict mode,
 * `ROOT` (empty on the host; a scratch folder standing in for `/` in tests, so every path the script
 * touches is written `$ROOT/…`) and `log`, which stamps each line with the UTC time and the name.
 */
export function hostScriptHead(name: string, comment: readonly string[]): string {
  return [
    "#!/bin/bash",
    ...comment.map((line, i) => (i === 0 ? `# ${name}: ${line}` : `#${line === "" ? "" : ` ${line}`}`)),
    "set -euo pipefail",
    "",
    `ROOT="\${OPENAQ_BOOTSTRAP_ROOT:-}"   # empty on the host; a scratch folder in tests`,
    `log() { printf '%s ${name}: %s\\n' "$(date -u +%FT%TZ)" "$*"; }`,
    "",
  ].join("\n");
}
