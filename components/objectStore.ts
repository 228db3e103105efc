import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ResourceSpec } from "./config";
import { containerSecurity, Exposure, labels, plainEnv, podSecurity, resources, SecretKeyRef, secretEnv, serviceHost, servicePort, singleReplicaStatefulSetSpec } from "./k8s";
import { repoRoot } from "./versions";

/**
 * Where the warehouse lives, as every consumer sees it. MinIO in the cluster produces one; an
 * existing S3 bucket could produce the same shape, and Flink and Trino would not know the difference.
 */
export interface S3Location {
    endpoint: pulumi.Output<string>;
    region: pulumi.Output<string>;
    bucket: pulumi.Output<string>;
    /** MinIO and most S3-compatible stores need path-style requests. */
    pathStyle: boolean;
    /** Static keys (MinIO); absent when pods reach the bucket through an IAM role instead. */
    credentials?: { accessKey: SecretKeyRef; secretKey: SecretKeyRef };
    /** IRSA: the IAM role pods assume; their service accounts carry it. */
    roleArn?: string;
}

export interface ObjectStoreArgs {
    namespace: pulumi.Input<string>;
    image: pulumi.Input<string>;
    /** Image with the MinIO client, for the bucket Job. */
    clientImage: pulumi.Input<string>;
    storageClass?: pulumi.Input<string>;
    storageSize: pulumi.Input<string>;
    resources: ResourceSpec;
    bucket: string;
    region: string;
    /** How the MinIO console is reached from outside the cluster. */
    consoleExposure?: Exposure;
}

/** The Iceberg warehouse root inside the bucket, shared by Flink, Trino and the harness. */
export function warehouseUri(bucket: string): string {
    return `s3://${bucket}/warehouse`;
}

export const createBucketScript = path.join(repoRoot, "object-store", "create-bucket.sh");

/** MinIO with one PVC, its credentials in a Secret, and the warehouse bucket created by a Job. */
export class ObjectStore extends pulumi.ComponentResource {
    readonly location: S3Location;
    readonly service: k8s.core.v1.Service;
    readonly consoleService: k8s.core.v1.Service;
    readonly bucketJob: k8s.batch.v1.Job;
    /** The generated credentials, as secret outputs. */
    readonly accessKey: pulumi.Output<string>;
    readonly secretKey: pulumi.Output<string>;
    readonly apiPort = 9000;
    readonly consolePort = 9001;

    constructor(name: string, args: ObjectStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lakehouse:index:ObjectStore", name, {}, opts);
        const lbl = labels("minio", name);
        const meta = (suffix: string) => ({ name: `${name}${suffix}`, namespace: args.namespace, labels: lbl.all });

        // RandomString's result is not secret by default: without this the key sits in clear in the state.
        const accessKey = new random.RandomString(`${name}-access-key`, { length: 20, special: false, upper: false }, { parent: this, additionalSecretOutputs: ["result"] });
        const secretKey = new random.RandomPassword(`${name}-secret-key`, { length: 40, special: false }, { parent: this });
        this.accessKey = pulumi.secret(accessKey.result);
        this.secretKey = pulumi.secret(secretKey.result);
        const secret = new k8s.core.v1.Secret(
            `${name}-credentials`,
            { metadata: meta("-credentials"), type: "Opaque", stringData: { "access-key": this.accessKey, "secret-key": secretKey.result } },
            { parent: this },
        );
        const accessRef: SecretKeyRef = { name: secret.metadata.name, key: "access-key" };
        const secretRef: SecretKeyRef = { name: secret.metadata.name, key: "secret-key" };

        this.service = new k8s.core.v1.Service(
            name,
            { metadata: meta(""), spec: { type: "ClusterIP", selector: lbl.selector, ports: [servicePort("s3", this.apiPort)] } },
            { parent: this },
        );
        this.consoleService = new k8s.core.v1.Service(
            `${name}-console`,
            {
                metadata: { ...meta("-console"), annotations: args.consoleExposure?.annotations },
                spec: { type: args.consoleExposure?.type ?? "ClusterIP", selector: lbl.selector, ports: [servicePort("console", this.consolePort, args.consoleExposure)] },
            },
            { parent: this },
        );
        const headless = new k8s.core.v1.Service(
            `${name}-headless`,
            { metadata: meta("-headless"), spec: { clusterIP: "None", selector: lbl.selector, ports: [{ name: "s3", port: this.apiPort }] } },
            { parent: this },
        );

        const statefulSet = new k8s.apps.v1.StatefulSet(
            name,
            {
                metadata: meta(""),
                spec: singleReplicaStatefulSetSpec({
                    serviceName: headless.metadata.name,
                    labels: lbl,
                    storageClass: args.storageClass,
                    storageSize: args.storageSize,
                    pod: {
                        securityContext: podSecurity(1000),
                        containers: [
                            {
                                name: "minio",
                                image: args.image,
                                args: ["server", "/data", "--address", `:${this.apiPort}`, "--console-address", `:${this.consolePort}`],
                                env: [secretEnv("MINIO_ROOT_USER", accessRef), secretEnv("MINIO_ROOT_PASSWORD", secretRef), ...plainEnv({ MINIO_REGION: args.region })],
                                ports: [
                                    { name: "s3", containerPort: this.apiPort },
                                    { name: "console", containerPort: this.consolePort },
                                ],
                                resources: resources(args.resources),
                                securityContext: containerSecurity,
                                readinessProbe: { httpGet: { path: "/minio/health/ready", port: this.apiPort }, periodSeconds: 5 },
                                livenessProbe: { httpGet: { path: "/minio/health/live", port: this.apiPort }, initialDelaySeconds: 20, periodSeconds: 20 },
                                volumeMounts: [{ name: "data", mountPath: "/data" }],
                            },
                        ],
                    },
                }),
            },
            { parent: this },
        );

        const endpoint = pulumi.interpolate`http://${serviceHost(this.service)}:${this.apiPort}`;
        const script = new k8s.core.v1.ConfigMap(
            `${name}-bucket-script`,
            { metadata: meta("-bucket-script"), data: { "create-bucket.sh": fs.readFileSync(createBucketScript, "utf8") } },
            { parent: this },
        );
        // Auto-named: a Job is immutable, so a changed script or bucket replaces it and it runs again.
        this.bucketJob = new k8s.batch.v1.Job(
            `${name}-bucket`,
            {
                metadata: { namespace: args.namespace, labels: lbl.all },
                spec: {
                    backoffLimit: 4,
                    template: {
                        metadata: { labels: lbl.all },
                        spec: {
                            restartPolicy: "OnFailure",
                            securityContext: podSecurity(1000),
                            containers: [
                                {
                                    name: "create-bucket",
                                    image: args.clientImage,
                                    command: ["/bin/sh", "/scripts/create-bucket.sh"],
                                    env: [
                                        ...plainEnv({ S3_ENDPOINT: endpoint, S3_BUCKET: args.bucket, MC_CONFIG_DIR: "/tmp/.mc", HOME: "/tmp" }),
                                        secretEnv("S3_ACCESS_KEY", accessRef),
                                        secretEnv("S3_SECRET_KEY", secretRef),
                                    ],
                                    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
                                    securityContext: { ...containerSecurity, readOnlyRootFilesystem: true },
                                    volumeMounts: [
                                        { name: "scripts", mountPath: "/scripts", readOnly: true },
                                        { name: "tmp", mountPath: "/tmp" },
                                    ],
                                },
                            ],
                            volumes: [
                                { name: "scripts", configMap: { name: script.metadata.name } },
                                { name: "tmp", emptyDir: {} },
                            ],
                        },
                    },
                },
            },
            { parent: this, dependsOn: [statefulSet] },
        );

        // The bucket output resolves only once the Job has completed, so its users wait for it.
        const bucket = pulumi.all([this.bucketJob.metadata.name, args.bucket]).apply(([, b]) => b);
        this.location = {
            endpoint,
            region: pulumi.output(args.region),
            bucket,
            pathStyle: true,
            credentials: { accessKey: accessRef, secretKey: secretRef },
        };
        this.registerOutputs({ endpoint, bucket, region: this.location.region, credentialsSecret: secret.metadata.name });
    }
}
