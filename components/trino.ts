import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { TrinoSettings } from "./config";
import { containerSecurity, Exposure, labels, podSecurity, resources, SecretKeyRef, secretEnv, serviceHost, servicePort } from "./k8s";
import { S3Location, warehouseUri } from "./objectStore";
import { sha256 } from "./release";
import { catalogEnv, renderIcebergCatalog, trinoCatalogName } from "./trinoCatalog";
import { heapMiB, renderConfigProperties, renderJvmConfig, renderNodeProperties } from "./trinoServer";

export interface TrinoArgs {
    namespace: pulumi.Input<string>;
    /** Trino image with the MySQL driver in the Iceberg plugin directory (see trino/Dockerfile). */
    image: pulumi.Input<string>;
    settings: TrinoSettings;
    /** Name under which Flink registered the Iceberg catalog. */
    icebergCatalogName: string;
    catalogJdbcUrl: pulumi.Input<string>;
    catalogUser: string;
    catalogPassword: SecretKeyRef;
    warehouse: S3Location;
    exposure?: Exposure;
}

/**
 * Trino with one Iceberg catalog on the JDBC catalog in MySQL and native S3 on the warehouse.
 * Hand-written rather than the trinodb chart: the catalog is rendered by code the local harness
 * shares, secrets reach it only as `${ENV:...}`, and every object is visible to the unit tests.
 */
export class Trino extends pulumi.ComponentResource {
    readonly service: k8s.core.v1.Service;
    readonly host: pulumi.Output<string>;
    readonly port = 8080;
    /** `trino://` URI as SQLAlchemy (Superset) wants it, user `admin`, catalog iceberg. */
    readonly sqlalchemyUri: pulumi.Output<string>;
    readonly catalog = trinoCatalogName;

    constructor(name: string, args: TrinoArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lakehouse:index:Trino", name, {}, opts);
        const s = args.settings;
        const coordLabels = labels("trino", `${name}-coordinator`);
        const meta = (suffix: string, l = coordLabels) => ({ name: `${name}${suffix}`, namespace: args.namespace, labels: l.all });

        this.service = new k8s.core.v1.Service(
            name,
            { metadata: { ...meta(""), annotations: args.exposure?.annotations }, spec: { type: args.exposure?.type ?? "ClusterIP", selector: coordLabels.selector, ports: [servicePort("http", this.port, args.exposure)] } },
            { parent: this },
        );
        const discoveryUri = pulumi.interpolate`http://${serviceHost(this.service)}:${this.port}`;

        const catalog = pulumi
            .all([args.catalogJdbcUrl, args.warehouse.bucket, args.warehouse.endpoint, args.warehouse.region])
            .apply(([jdbcUrl, bucket, endpoint, region]) =>
                renderIcebergCatalog({
                    catalogName: args.icebergCatalogName,
                    jdbcUrl,
                    warehouse: warehouseUri(bucket),
                    s3Endpoint: endpoint,
                    s3Region: region,
                    s3PathStyle: args.warehouse.pathStyle,
                    staticCredentials: args.warehouse.credentials !== undefined,
                }),
            );
        const creds = args.warehouse.credentials;
        const env = [
            { name: catalogEnv.jdbcUser, value: args.catalogUser },
            secretEnv(catalogEnv.jdbcPassword, args.catalogPassword),
            ...(creds ? [secretEnv(catalogEnv.s3AccessKey, creds.accessKey), secretEnv(catalogEnv.s3SecretKey, creds.secretKey)] : []),
        ];
        // IRSA: Trino's pods run as a service account that carries the bucket's IAM role.
        const serviceAccount = args.warehouse.roleArn
            ? new k8s.core.v1.ServiceAccount(
                  name,
                  { metadata: { ...meta(""), annotations: { "eks.amazonaws.com/role-arn": args.warehouse.roleArn } } },
                  { parent: this },
              ).metadata.name
            : undefined;

        const role = (coordinator: boolean, spec = coordinator ? s.coordinatorResources : s.workerResources) => {
            const suffix = coordinator ? "-coordinator" : "-worker";
            const l = labels("trino", `${name}${suffix}`);
            const config = new k8s.core.v1.ConfigMap(
                `${name}${suffix}`,
                {
                    metadata: meta(suffix, l),
                    data: {
                        "config.properties": discoveryUri.apply((uri) =>
                            renderConfigProperties({ coordinator, includeCoordinator: s.workers === 0, port: this.port, discoveryUri: uri }),
                        ),
                        "jvm.config": renderJvmConfig(heapMiB(spec.limits.memory, s.heapPercent)),
                        "node.properties": renderNodeProperties("lakehouse", "/data/trino"),
                        "log.properties": "io.trino=INFO\n",
                        [`${trinoCatalogName}.properties`]: catalog,
                    },
                },
                { parent: this },
            );
            const checksum = pulumi.all([config.data]).apply(([d]) => sha256(JSON.stringify(d)).slice(0, 16));
            return new k8s.apps.v1.Deployment(
                `${name}${suffix}`,
                {
                    metadata: meta(suffix, l),
                    spec: {
                        replicas: coordinator ? 1 : s.workers,
                        selector: { matchLabels: l.selector },
                        template: {
                            // A changed catalog or JVM config restarts the pods; Trino reads them only at start.
                            metadata: { labels: l.all, annotations: { "lakehouse/config-checksum": checksum } },
                            spec: {
                                serviceAccountName: serviceAccount,
                                securityContext: podSecurity(1000),
                                containers: [
                                    {
                                        name: "trino",
                                        image: args.image,
                                        imagePullPolicy: "IfNotPresent",
                                        env,
                                        ports: [{ name: "http", containerPort: this.port }],
                                        resources: resources(spec),
                                        securityContext: containerSecurity,
                                        readinessProbe: { exec: { command: ["/usr/lib/trino/bin/health-check"] }, initialDelaySeconds: 15, periodSeconds: 10, timeoutSeconds: 5 },
                                        livenessProbe: { exec: { command: ["/usr/lib/trino/bin/health-check"] }, initialDelaySeconds: 90, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
                                        volumeMounts: [
                                            ...["config.properties", "jvm.config", "node.properties", "log.properties"].map((f) => ({
                                                name: "config",
                                                mountPath: `/etc/trino/${f}`,
                                                subPath: f,
                                            })),
                                            { name: "config", mountPath: `/etc/trino/catalog/${trinoCatalogName}.properties`, subPath: `${trinoCatalogName}.properties` },
                                            { name: "data", mountPath: "/data/trino" },
                                        ],
                                    },
                                ],
                                volumes: [
                                    { name: "config", configMap: { name: config.metadata.name } },
                                    { name: "data", emptyDir: {} },
                                ],
                            },
                        },
                    },
                },
                { parent: this },
            );
        };

        const coordinator = role(true);
        if (s.workers > 0) {
            role(false);
        }

        this.host = pulumi.all([serviceHost(this.service), coordinator.status]).apply(([h]) => h);
        this.sqlalchemyUri = pulumi.interpolate`trino://admin@${this.host}:${this.port}/${trinoCatalogName}`;
        this.registerOutputs({ host: this.host, port: this.port, sqlalchemyUri: this.sqlalchemyUri });
    }
}
