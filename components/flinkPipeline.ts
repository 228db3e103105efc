import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { FlinkSettings } from "./config";
import { cdcServerIdRanges, imagePipelineSql, imageRunnerJar, pipelineEnv } from "./flinkSql";
import { containerSecurity, Exposure, labels, plainEnv, SecretKeyRef, secretEnv, servicePort } from "./k8s";
import { S3Location, warehouseUri } from "./objectStore";
import { flinkApiVersion } from "./versions";

export interface FlinkPipelineArgs {
    namespace: pulumi.Input<string>;
    /** The job image: Flink with the connector jars, the runner and the SQL (flink-sql/Dockerfile). */
    image: pulumi.Input<string>;
    /** sha256 of the SQL the image carries, shown on the FlinkDeployment. */
    sqlSha256: string;
    settings: FlinkSettings;
    mysql: { host: pulumi.Input<string>; port: number; cdcUser: string; cdcPassword: SecretKeyRef };
    catalog: { jdbcUrl: pulumi.Input<string>; user: string; password: SecretKeyRef };
    warehouse: S3Location;
    /** The job's service account: the one the operator's chart prepared (`flink`), or the stack's own. */
    serviceAccount?: pulumi.Input<string>;
    uiExposure?: Exposure;
    /** What must exist first: the operator (its CRD), MySQL ready, the bucket created. */
    dependsOn: pulumi.Input<pulumi.Resource>[];
}

export const entryClass = "dev.lakehouse.flink.SqlRunner";
export const jobName = "sales-by-product";

/**
 * The pipeline as a FlinkDeployment in application mode: the operator runs the SQL runner on the
 * SQL baked into the image, keeps state across upgrades (savepoint or last-state with Kubernetes HA),
 * and `pulumi up` returns only once the job is RUNNING.
 */
export class FlinkPipeline extends pulumi.ComponentResource {
    readonly deployment: k8s.apiextensions.CustomResource;
    readonly uiService: k8s.core.v1.Service;
    readonly jobName = jobName;
    readonly sqlSha256: string;
    readonly uiPort = 8081;

    constructor(name: string, args: FlinkPipelineArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lakehouse:index:FlinkPipeline", name, {}, opts);
        const s = args.settings;
        const w = args.warehouse;
        this.sqlSha256 = args.sqlSha256;

        const flinkDir = (sub: string) => pulumi.interpolate`s3://${w.bucket}/flink/${jobName}/${sub}`;
        const env = pipelineEnv<pulumi.Input<string>, SecretKeyRef>({
            checkpointIntervalSeconds: s.checkpointIntervalSeconds,
            mysql: { host: args.mysql.host, port: args.mysql.port, cdcUser: args.mysql.cdcUser, cdcPassword: args.mysql.cdcPassword },
            catalog: { jdbcUrl: args.catalog.jdbcUrl, user: args.catalog.user, password: args.catalog.password },
            warehouse: { uri: w.bucket.apply(warehouseUri), endpoint: w.endpoint, region: w.region, pathStyle: w.pathStyle, credentials: w.credentials },
            cdcServerIds: cdcServerIdRanges(s.parallelism),
            sinkBranch: s.sinkBranch,
        });
        const containerEnv = [
            ...plainEnv(env.plain),
            ...Object.entries(env.secret).map(([k, ref]) => secretEnv(k, ref)),
        ];

        const flinkConfiguration = pulumi.all([w.endpoint, flinkDir("checkpoints"), flinkDir("savepoints"), flinkDir("ha")]).apply(([endpoint, cp, sp, ha]) => ({
            "taskmanager.numberOfTaskSlots": String(s.taskSlots),
            "state.backend.type": "rocksdb",
            "execution.checkpointing.incremental": "true",
            "execution.checkpointing.interval": `${s.checkpointIntervalSeconds} s`,
            "execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
            "execution.checkpointing.num-retained": "3",
            "execution.checkpointing.dir": cp,
            "execution.checkpointing.savepoint-dir": sp,
            "high-availability.type": "kubernetes",
            "high-availability.storageDir": ha,
            "restart-strategy.type": "exponential-delay",
            "restart-strategy.exponential-delay.initial-backoff": "5 s",
            "restart-strategy.exponential-delay.max-backoff": "2 min",
            "restart-strategy.exponential-delay.backoff-multiplier": "2.0",
            "restart-strategy.exponential-delay.reset-backoff-threshold": "10 min",
            "restart-strategy.exponential-delay.jitter-factor": "0.1",
            "s3.endpoint": endpoint,
            "s3.path.style.access": String(w.pathStyle),
            "kubernetes.operator.savepoint.format.type": "CANONICAL",
        }));

        const lbl = labels("flink", name);
        this.deployment = new k8s.apiextensions.CustomResource(
            name,
            {
                apiVersion: "flink.apache.org/v1beta1",
                kind: "FlinkDeployment",
                metadata: {
                    name: jobName,
                    namespace: args.namespace,
                    labels: lbl.all,
                    annotations: {
                        // Pulumi does not know when a custom resource is ready: wait for the job itself.
                        "pulumi.com/waitFor": "jsonpath={.status.jobStatus.state}=RUNNING",
                        "pulumi.com/timeoutSeconds": String(s.startTimeoutSeconds),
                        "lakehouse/sql-sha256": this.sqlSha256,
                    },
                },
                spec: {
                    image: args.image,
                    imagePullPolicy: "IfNotPresent",
                    flinkVersion: flinkApiVersion(),
                    serviceAccount: args.serviceAccount ?? "flink",
                    flinkConfiguration,
                    podTemplate: {
                        metadata: { labels: lbl.all },
                        spec: {
                            securityContext: { runAsNonRoot: true, runAsUser: 9999, runAsGroup: 9999, fsGroup: 9999, seccompProfile: { type: "RuntimeDefault" } },
                            containers: [{ name: "flink-main-container", env: containerEnv, securityContext: containerSecurity }],
                        },
                    },
                    jobManager: { replicas: 1, resource: { cpu: s.jobManagerResources.cpu, memory: s.jobManagerResources.memory } },
                    taskManager: { resource: { cpu: s.taskManagerResources.cpu, memory: s.taskManagerResources.memory } },
                    job: {
                        jarURI: imageRunnerJar,
                        entryClass,
                        args: [imagePipelineSql],
                        parallelism: s.parallelism,
                        upgradeMode: s.upgradeMode,
                        state: "running",
                    },
                },
            },
            { parent: this, dependsOn: args.dependsOn },
        );

        // A stable Service for the UI: the operator's own rest Service has no fixed node port.
        this.uiService = new k8s.core.v1.Service(
            `${name}-ui`,
            {
                metadata: { name: `${jobName}-ui`, namespace: args.namespace, labels: lbl.all, annotations: args.uiExposure?.annotations },
                spec: {
                    type: args.uiExposure?.type ?? "ClusterIP",
                    selector: { app: jobName, component: "jobmanager", type: "flink-native-kubernetes" },
                    ports: [servicePort("ui", this.uiPort, args.uiExposure)],
                },
            },
            { parent: this, dependsOn: [this.deployment] },
        );
        this.registerOutputs({ jobName: this.jobName, sqlSha256: this.sqlSha256 });
    }
}
