import * as path from "path";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { hostUrl } from "./components/access";
import { loadConfig } from "./components/config";
import { ContainerImage } from "./components/containerImage";
import { DataGenerator } from "./components/dataGenerator";
import { FlinkJobServiceAccount } from "./components/flinkJobServiceAccount";
import { FlinkOperator } from "./components/flinkOperator";
import { FlinkPipeline } from "./components/flinkPipeline";
import { icebergCatalogName, pipelineSql } from "./components/flinkSql";
import { serviceHost } from "./components/k8s";
import { MySql } from "./components/mysql";
import { ObjectStore, S3Location } from "./components/objectStore";
import { loadRelease, sha256 } from "./components/release";
import { ExistingBucket } from "./components/s3Bucket";
import { Superset, trinoDatabaseName } from "./components/superset";
import { TableMaintenance } from "./components/tableMaintenance";
import { Trino } from "./components/trino";
import * as versions from "./components/versions";

// Fails here, before any resource is registered, if a setting is wrong.
const cfg = loadConfig(pulumi.runtime.allConfig());
const release = cfg.release ? loadRelease(cfg.release) : undefined;
const root = versions.repoRoot;

const provider = new k8s.Provider("k8s", { context: cfg.kubeContext });
const providers: Record<string, pulumi.ProviderResource> = { kubernetes: provider };
if (cfg.registry) {
    providers.aws = new aws.Provider("aws", { region: cfg.registry.region as aws.Region });
}
const opts: pulumi.ComponentResourceOptions = { providers };
// Stateful pieces (and the namespace that holds them) cannot be deleted by accident where it matters.
const stateful: pulumi.ComponentResourceOptions = { ...opts, protect: cfg.protect };

const ns = new k8s.core.v1.Namespace("namespace", { metadata: { name: cfg.namespace } }, { provider, protect: cfg.protect });
const namespace = ns.metadata.name;

const images: Record<string, pulumi.Output<string>> = {};
const image = (name: string, context: string, buildArgs: Record<string, string>, extra: { dockerfile?: string; inputs?: string[] } = {}) => {
    images[name] = new ContainerImage(
        name,
        {
            image: name,
            context,
            buildArgs,
            target: cfg.target,
            kindClusterName: cfg.kindClusterName,
            registry: cfg.registry,
            pinned: release?.images[name],
            ...extra,
        },
        opts,
    ).ref;
    return images[name];
};

const exposure = (nodePort: number) => ({ type: cfg.serviceType, nodePort, annotations: cfg.serviceAnnotations });

const mysql = new MySql(
    "mysql",
    {
        namespace,
        image: versions.mysqlImage,
        storageClass: cfg.storageClass,
        storageSize: cfg.mysql.storageSize,
        resources: cfg.mysql.resources,
        binlog: { serverId: cfg.mysql.serverId, binlogExpireSeconds: cfg.mysql.binlogExpireSeconds },
    },
    stateful,
);

// The warehouse: MinIO in the cluster, or an existing S3 bucket; consumers see one S3Location.
let warehouse: S3Location;
let warehouseReady: pulumi.Resource[] = [];
let minio: ObjectStore | undefined;
if (cfg.objectStore.mode === "minio") {
    minio = new ObjectStore(
        "minio",
        {
            namespace,
            image: versions.minioImage,
            clientImage: versions.minioClientImage,
            storageClass: cfg.storageClass,
            storageSize: cfg.objectStore.storageSize,
            resources: cfg.objectStore.resources,
            bucket: cfg.objectStore.bucket,
            region: cfg.objectStore.region,
            consoleExposure: exposure(cfg.nodePorts.minioConsole),
        },
        stateful,
    );
    warehouse = minio.location;
    warehouseReady = [minio.bucketJob];
} else {
    warehouse = new ExistingBucket(
        "warehouse",
        { bucket: cfg.objectStore.bucket, region: cfg.objectStore.region, roleArn: cfg.objectStore.roleArn, endpoint: cfg.objectStore.endpoint },
        opts,
    ).location;
}

const trino = new Trino(
    "trino",
    {
        namespace,
        image: image("trino", path.join(root, "trino"), {
            TRINO_VERSION: versions.trinoVersion,
            MYSQL_CONNECTOR_VERSION: versions.mysqlConnectorVersion(),
        }),
        settings: cfg.trino,
        icebergCatalogName: icebergCatalogName(),
        catalogJdbcUrl: mysql.jdbcUrl(mysql.databases.catalog),
        catalogUser: mysql.userName("catalog"),
        catalogPassword: mysql.passwordRef("catalog"),
        warehouse,
        exposure: exposure(cfg.nodePorts.trino),
    },
    opts,
);

const superset = new Superset(
    "superset",
    {
        namespace,
        image: image("superset", path.join(root, "superset"), { SUPERSET_VERSION: versions.supersetVersion() }),
        settings: cfg.superset,
        database: {
            host: mysql.host,
            port: mysql.port,
            name: mysql.databases.superset,
            user: mysql.userName("superset"),
            password: mysql.passwordRef("superset"),
        },
        trinoUri: trino.sqlalchemyUri,
        exposure: exposure(cfg.nodePorts.superset),
    },
    opts,
);

new TableMaintenance(
    "table-maintenance",
    { namespace, image: images.trino, trinoUrl: pulumi.interpolate`http://${trino.host}:${trino.port}`, schedule: cfg.maintenanceSchedule },
    opts,
);

// The operator runs in its own namespace and manages FlinkDeployments in the pipeline's; where the
// cluster's platform team runs it already, the stack only brings the job's service account.
let operatorReady: pulumi.Resource;
let jobServiceAccount: pulumi.Input<string> | undefined;
if (cfg.flinkOperator.install) {
    const operatorNs = new k8s.core.v1.Namespace("flink-operator-namespace", { metadata: { name: `${cfg.namespace}-flink-operator` } }, { provider });
    operatorReady = new FlinkOperator(
        "flink-operator",
        { namespace: operatorNs.metadata.name, watchNamespaces: [namespace], chart: cfg.flinkOperator.chart, jobRoleArn: warehouse.roleArn },
        opts,
    );
} else {
    const account = new FlinkJobServiceAccount("flink-job", { namespace, roleArn: warehouse.roleArn }, opts);
    operatorReady = account;
    jobServiceAccount = account.name;
}

const pipeline = new FlinkPipeline(
    "pipeline",
    {
        namespace,
        image: image("flink-job", path.join(root, "flink-sql"), { FLINK_VERSION: versions.flinkVersion() }),
        // A promoted image carries the SQL it was built with; the annotation says which.
        sqlSha256: release?.sqlSha256 ?? sha256(pipelineSql()),
        settings: cfg.flink,
        mysql: { host: mysql.host, port: mysql.port, cdcUser: mysql.userName("cdc"), cdcPassword: mysql.passwordRef("cdc") },
        catalog: { jdbcUrl: mysql.jdbcUrl(mysql.databases.catalog), user: mysql.userName("catalog"), password: mysql.passwordRef("catalog") },
        warehouse,
        serviceAccount: jobServiceAccount,
        uiExposure: exposure(cfg.nodePorts.flinkUi),
        dependsOn: [operatorReady, mysql.statefulSet, ...warehouseReady],
    },
    opts,
);

new DataGenerator(
    "generator",
    {
        namespace,
        image: image("generator", root, { NODE_IMAGE: versions.nodeImage }, {
            dockerfile: "generator/Dockerfile",
            inputs: ["package.json", "package-lock.json", "tsconfig.json", "generator"],
        }),
        settings: cfg.generator,
        mysql: { host: mysql.host, port: mysql.port, database: mysql.databases.app, user: mysql.userName("app"), password: mysql.passwordRef("app") },
    },
    opts,
);

export const target = cfg.target;
export const kubeNamespace = namespace;
/** What this stack runs; `npm run promote` pins these for the next environment. */
export const imageRefs = images;
export const mysqlEndpoint = pulumi.interpolate`${mysql.host}:${mysql.port}`;
export const mysqlDatabases = mysql.databases;
export const mysqlUsers = { cdc: mysql.userName("cdc"), catalog: mysql.userName("catalog"), app: mysql.userName("app"), superset: mysql.userName("superset") };
export const mysqlCredentialsSecret = mysql.secretName;
export const s3Endpoint = warehouse.endpoint;
export const s3Region = warehouse.region;
export const warehouseBucket = warehouse.bucket;
export const minioConsoleUrl = minio ? hostUrl(minio.consoleService, minio.consolePort, cfg.serviceType, cfg.nodePorts.minioConsole) : "none: the warehouse is an S3 bucket";
export const trinoEndpoint = pulumi.interpolate`http://${trino.host}:${trino.port}`;
export const trinoUrl = hostUrl(trino.service, trino.port, cfg.serviceType, cfg.nodePorts.trino);
export const flinkJobName = pipeline.jobName;
export const flinkSqlSha256 = pipeline.sqlSha256;
export const flinkRestEndpoint = pulumi.interpolate`http://${serviceHost(pipeline.uiService)}:${pipeline.uiPort}`;
export const flinkUiUrl = hostUrl(pipeline.uiService, pipeline.uiPort, cfg.serviceType, cfg.nodePorts.flinkUi);
export const supersetEndpoint = pulumi.interpolate`http://${superset.host}:${superset.port}`;
export const supersetUrl = hostUrl(superset.service, superset.port, cfg.serviceType, cfg.nodePorts.superset);
export const supersetDatabase = trinoDatabaseName;
/** From the host, whatever the exposure: e.g. MySQL on localhost:3306 for a SQL client. */
const forward = (service: k8s.core.v1.Service, port: number) =>
    pulumi.interpolate`kubectl${cfg.kubeContext ? ` --context ${cfg.kubeContext}` : ""} -n ${service.metadata.namespace} port-forward svc/${service.metadata.name} ${port}:${port}`;
export const portForwards = {
    mysql: forward(mysql.service, mysql.port),
    ...(minio ? { s3: forward(minio.service, minio.apiPort) } : {}),
    trino: forward(trino.service, trino.port),
    superset: forward(superset.service, superset.port),
    flink: forward(pipeline.uiService, pipeline.uiPort),
};
export const supersetAdminUser = cfg.superset.adminUsername;
/** Secret outputs: `pulumi stack output credentials --show-secrets`. */
export const credentials = pulumi.secret({
    supersetAdminPassword: superset.adminPassword,
    mysqlRootPassword: mysql.password("root"),
    ...(minio ? { minioAccessKey: minio.accessKey, minioSecretKey: minio.secretKey } : {}),
});
