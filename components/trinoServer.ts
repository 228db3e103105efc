import { toBytes } from "./config";

/**
 * Trino's node configuration (config.properties, jvm.config, node.properties), rendered for the
 * `Trino` component and the local harness alike.
 */

export interface TrinoNodeArgs {
    coordinator: boolean;
    /** With no workers the coordinator also runs tasks. */
    includeCoordinator: boolean;
    port: number;
    discoveryUri: string;
}

export function renderConfigProperties(a: TrinoNodeArgs): string {
    const lines = [
        `coordinator=${a.coordinator}`,
        `http-server.http.port=${a.port}`,
        `discovery.uri=${a.discoveryUri}`,
    ];
    if (a.coordinator) {
        lines.push(`node-scheduler.include-coordinator=${a.includeCoordinator}`);
    }
    return lines.join("\n") + "\n";
}

/** Heap in MiB: a share of the container's memory limit, the rest left to metaspace, threads and buffers. */
export function heapMiB(memoryLimit: string, heapPercent: number): number {
    const bytes = toBytes(memoryLimit);
    if (!Number.isFinite(bytes)) {
        throw new Error(`cannot size the Trino heap from memory limit '${memoryLimit}'`);
    }
    return Math.floor((bytes * heapPercent) / 100 / 2 ** 20);
}

export function renderJvmConfig(heap: number): string {
    return [
        "-server",
        `-Xmx${heap}M`,
        `-Xms${heap}M`,
        "-XX:+UseG1GC",
        "-XX:G1HeapRegionSize=32M",
        "-XX:+ExplicitGCInvokesConcurrent",
        "-XX:+ExitOnOutOfMemoryError",
        "-XX:-OmitStackTraceInFastThrow",
        "-XX:ReservedCodeCacheSize=256M",
        "-XX:PerMethodRecompilationCutoff=10000",
        "-XX:PerBytecodeRecompilationCutoff=10000",
        "-Djdk.attach.allowAttachSelf=true",
        "-Djdk.nio.maxCachedBufferSize=2000000",
        "-Dfile.encoding=UTF-8",
        "-XX:+EnableDynamicAgentLoading",
    ].join("\n") + "\n";
}

export function renderNodeProperties(environment: string, dataDir: string): string {
    return [`node.environment=${environment}`, `node.data-dir=${dataDir}`].join("\n") + "\n";
}
