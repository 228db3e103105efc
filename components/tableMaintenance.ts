import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { containerSecurity, labels, podSecurity } from "./k8s";
import { repoRoot } from "./versions";

export const maintenanceSqlPath = path.join(repoRoot, "trino", "maintenance.sql");

/** The maintenance statements in order (the file has whole-line `--` comments and `;` ends). */
export function maintenanceStatements(sql: string = fs.readFileSync(maintenanceSqlPath, "utf8")): string[] {
    return sql
        .split(/\r?\n/)
        .filter((l) => !l.trim().startsWith("--"))
        .join("\n")
        .split(";")
        .map((s) => s.trim())
        .filter((s) => s !== "");
}

export interface TableMaintenanceArgs {
    namespace: pulumi.Input<string>;
    /** The Trino image (it carries the `trino` CLI). */
    image: pulumi.Input<string>;
    /** Trino's in-cluster URL. */
    trinoUrl: pulumi.Input<string>;
    /** Cron schedule, e.g. `17 * * * *`. */
    schedule: string;
}

/**
 * Compaction and snapshot expiry of the upsert table through Trino, on a schedule. A run that
 * loses a commit race with the streaming writer fails and the next one tries again; it never
 * overlaps itself.
 */
export class TableMaintenance extends pulumi.ComponentResource {
    readonly cronJob: k8s.batch.v1.CronJob;

    constructor(name: string, args: TableMaintenanceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lakehouse:index:TableMaintenance", name, {}, opts);
        const lbl = labels("table-maintenance", name);
        const script = new k8s.core.v1.ConfigMap(
            name,
            { metadata: { name, namespace: args.namespace, labels: lbl.all }, data: { "maintenance.sql": fs.readFileSync(maintenanceSqlPath, "utf8") } },
            { parent: this },
        );
        this.cronJob = new k8s.batch.v1.CronJob(
            name,
            {
                metadata: { name, namespace: args.namespace, labels: lbl.all },
                spec: {
                    schedule: args.schedule,
                    concurrencyPolicy: "Forbid",
                    successfulJobsHistoryLimit: 3,
                    failedJobsHistoryLimit: 3,
                    jobTemplate: {
                        spec: {
                            backoffLimit: 1,
                            template: {
                                metadata: { labels: lbl.all },
                                spec: {
                                    restartPolicy: "Never",
                                    securityContext: podSecurity(1000),
                                    containers: [
                                        {
                                            name: "maintenance",
                                            image: args.image,
                                            imagePullPolicy: "IfNotPresent",
                                            command: ["trino", "--server", "$(TRINO_URL)", "--user", "maintenance", "--file", "/sql/maintenance.sql"],
                                            env: [
                                                { name: "TRINO_URL", value: args.trinoUrl },
                                                { name: "HOME", value: "/tmp" },
                                            ],
                                            resources: { requests: { cpu: "50m", memory: "256Mi" }, limits: { memory: "512Mi" } },
                                            securityContext: { ...containerSecurity, readOnlyRootFilesystem: true },
                                            volumeMounts: [
                                                { name: "sql", mountPath: "/sql", readOnly: true },
                                                { name: "tmp", mountPath: "/tmp" },
                                            ],
                                        },
                                    ],
                                    volumes: [
                                        { name: "sql", configMap: { name: script.metadata.name } },
                                        { name: "tmp", emptyDir: {} },
                                    ],
                                },
                            },
                        },
                    },
                },
            },
            { parent: this },
        );
        this.registerOutputs({ cronJob: this.cronJob.metadata.name });
    }
}
