import * as fs from "fs";
import * as path from "path";

/**
 * Every version pin of the platform, in one place. The Pulumi components, the image builds and the
 * local proof harness all read these, so what the harness proves is what the cluster runs.
 *
 * Java-side pins (Flink and the jars it loads) live in the Maven build that produces those jars,
 * `flink-sql/runner/pom.xml`; Superset's lives in `superset/requirements.txt`. Both are read from
 * there rather than repeated here.
 */

export const repoRoot = path.resolve(__dirname, "..");

/** Trino: the image tag and the Maven Central `io.trino:trino-server-core` tarball the harness runs. */
export const trinoVersion = "476";

/**
 * MySQL 8.0, not 8.4: Flink CDC's MySQL connector documents support up to 8.0.x and still issues
 * `SHOW MASTER STATUS`, which 8.4 removed (see README, "Why MySQL 8.0").
 */
export const mysqlImage = "mysql:8.0.44";

/** MinIO's Docker Hub images were deleted in 2025; these quay.io releases still serve. */
export const minioImage = "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z";
export const minioClientImage = "quay.io/minio/mc:RELEASE.2025-08-13T08-35-41Z";

/** Base image of the data generator (Node, same major as the project's engines field). */
export const nodeImage = "node:20.19.5-bookworm-slim";

/** Flink Kubernetes Operator release (chart and image). */
export const flinkOperatorVersion = "1.15.0";
/** The Helm repository Apache publishes each operator release's chart in. */
export const flinkOperatorChartRepo = (version: string): string => `https://downloads.apache.org/flink/flink-kubernetes-operator-${version}/`;

function readRepoFile(rel: string): string {
    return fs.readFileSync(path.join(repoRoot, rel), "utf8");
}

/** Reads a `<name>value</name>` property from the Flink jars' Maven build. */
export function pomProperty(name: string): string {
    const pom = readRepoFile("flink-sql/runner/pom.xml");
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const match = new RegExp(`<${escaped}>\\s*([^<\\s]+)\\s*</${escaped}>`).exec(pom);
    if (!match) {
        throw new Error(`flink-sql/runner/pom.xml has no <${name}> property`);
    }
    return match[1];
}

/** Reads the pinned version of a package from `superset/requirements.txt`. */
export function requirementVersion(pkg: string): string {
    const line = readRepoFile("superset/requirements.txt")
        .split(/\r?\n/)
        .find((l) => l.trim().toLowerCase().startsWith(`${pkg.toLowerCase()}==`));
    if (!line) {
        throw new Error(`superset/requirements.txt does not pin ${pkg} (expected '${pkg}==X.Y.Z')`);
    }
    return line.split("==")[1].trim();
}

export const flinkVersion = (): string => pomProperty("flink.version");
/** Operator `flinkVersion` enum value for the pinned Flink (1.20.3 -> v1_20). */
export const flinkApiVersion = (): string => `v${flinkVersion().split(".").slice(0, 2).join("_")}`;
export const flinkImage = (): string => `flink:${flinkVersion()}-scala_2.12-java17`;
export const mysqlConnectorVersion = (): string => pomProperty("mysql-connector-j.version");
export const supersetVersion = (): string => requirementVersion("apache-superset");
export const trinoImage = (): string => `trinodb/trino:${trinoVersion}`;
export const supersetImage = (): string => `apache/superset:${supersetVersion()}`;
