/**
 * What a DuckDB query read, from its JSON profile (`PRAGMA enable_profiling='json'`, detailed mode):
 * the files each Parquet scan opened (`Total Files Read`; `Scanning Files: k/N` when a hive filter
 * pruned the list) and the bytes read from storage (`total_bytes_read`).
 */
export interface ScanProfile {
  /** Files opened by all Parquet scans of the query. */
  filesRead: number;
  /** Bytes read from storage by the query. */
  bytesRead: number;
  /** Wall time of the query as DuckDB measured it, ms. */
  latencyMs: number;
  scans: Array<{ function: string; filesRead: number; filesScanned?: string; fileFilters?: string }>;
}

interface ProfileNode {
  operator_type?: string;
  extra_info?: Record<string, unknown>;
  children?: ProfileNode[];
  total_bytes_read?: number;
  latency?: number;
}

export function scanProfileFromJson(root: ProfileNode): ScanProfile {
  const scans: ScanProfile["scans"] = [];
  const walk = (node: ProfileNode): void => {
    const info = node.extra_info ?? {};
    if (node.operator_type === "TABLE_SCAN" && info["Total Files Read"] !== undefined) {
      scans.push({
        function: String(info.Function ?? ""),
        filesRead: Number(info["Total Files Read"]),
        ...(info["Scanning Files"] !== undefined ? { filesScanned: String(info["Scanning Files"]) } : {}),
        ...(info["File Filters"] !== undefined ? { fileFilters: String(info["File Filters"]) } : {}),
      });
    }
    for (const child of node.children ?? []) walk(child);
  };
  walk(root);
  return {
    filesRead: scans.reduce((n, s) => n + s.filesRead, 0),
    bytesRead: Number(root.total_bytes_read ?? 0),
    latencyMs: Number(root.latency ?? 0) * 1000,
    scans,
  };
}
