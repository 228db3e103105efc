import { LakehouseConfig } from "../components/config";

/**
 * What to say when `pulumi up` fails on a resource the API server accepted but that never became
 * ready. The kubernetes provider's own message ("failed to fully initialize or become live: timed
 * out waiting for the condition") names neither the cause nor where to look; the state it leaves
 * has the object as last seen, which usually does.
 */

export interface StateResource {
    urn: string;
    type: string;
    outputs?: Record<string, any>;
    initErrors?: string[];
}

export function failureHints(resources: StateResource[], cfg: Pick<LakehouseConfig, "kubeContext" | "namespace" | "flink" | "flinkOperator">): string[] {
    const kubectl = `kubectl${cfg.kubeContext ? ` --context ${cfg.kubeContext}` : ""}`;
    return resources
        .filter((r) => (r.initErrors ?? []).length > 0)
        .map((r) => {
            const meta = r.outputs?.metadata ?? {};
            const kind = r.type.split(":").pop() as string;
            const where = `${kubectl} -n ${meta.namespace ?? cfg.namespace} describe ${kind.toLowerCase()} ${meta.name}`;
            if (kind !== "FlinkDeployment") {
                return `${kind} ${meta.namespace}/${meta.name} did not become ready (${r.initErrors?.join("; ")}). See: ${where}`;
            }
            const status = r.outputs?.status ?? {};
            const lines = [
                `The Flink job ${meta.namespace}/${meta.name} did not report RUNNING within ${cfg.flink.startTimeoutSeconds} s (lakehouse:flink.startTimeoutSeconds).`,
            ];
            if (!status.lifecycleState && !status.jobStatus?.state) {
                lines.push(
                    cfg.flinkOperator.install
                        ? `  No Flink operator reconciled it (its status is empty): see ${kubectl} -n ${cfg.namespace}-flink-operator logs deploy/flink-kubernetes-operator`
                        : `  No Flink operator reconciled it (its status is empty). lakehouse:flinkOperator.install is false, so the cluster's own Flink operator must be running and watching namespace ${cfg.namespace}; ask its owners, or let the stack install one: pulumi config set --path 'lakehouse:flinkOperator.install' true`,
                );
            } else {
                lines.push(`  The operator reports lifecycle ${status.lifecycleState ?? "?"}, job ${status.jobStatus?.state ?? "?"}${status.error ? `: ${status.error}` : ""}`);
                lines.push(`  The JobManager's log (the SQL runner's errors): ${kubectl} -n ${meta.namespace} logs deploy/${meta.name}`);
            }
            lines.push(`  See: ${where}`);
            return lines.join("\n");
        });
}
