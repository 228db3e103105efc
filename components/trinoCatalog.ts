/**
 * The Trino Iceberg catalog, rendered once for both the `Trino` component and the local harness.
 * Secrets never appear in the file: Trino resolves `${ENV:...}` from the container environment.
 */

export const catalogEnv = {
    jdbcUser: "ICEBERG_JDBC_USER",
    jdbcPassword: "ICEBERG_JDBC_PASSWORD",
    s3AccessKey: "S3_ACCESS_KEY",
    s3SecretKey: "S3_SECRET_KEY",
} as const;

/** Trino names a catalog after its file: `iceberg.properties` -> `iceberg.demo.sales_by_product`. */
export const trinoCatalogName = "iceberg";

export interface IcebergCatalogArgs {
    /** Name under which Flink registered the catalog; Iceberg's JDBC catalog rows are keyed by it. */
    catalogName: string;
    /** e.g. `jdbc:mysql://mysql:3306/iceberg_catalog` */
    jdbcUrl: string;
    /** e.g. `s3://warehouse/warehouse` */
    warehouse: string;
    s3Endpoint: string;
    s3Region: string;
    /** MinIO and most S3-compatible stores need path-style; AWS S3 does not. */
    s3PathStyle: boolean;
    /** Keys from the environment (MinIO); without them Trino uses the AWS default chain (IRSA). */
    staticCredentials: boolean;
}

export function renderIcebergCatalog(a: IcebergCatalogArgs): string {
    const props: [string, string][] = [
        ["connector.name", "iceberg"],
        ["iceberg.catalog.type", "jdbc"],
        ["iceberg.jdbc-catalog.catalog-name", a.catalogName],
        ["iceberg.jdbc-catalog.driver-class", "com.mysql.cj.jdbc.Driver"],
        ["iceberg.jdbc-catalog.connection-url", a.jdbcUrl],
        ["iceberg.jdbc-catalog.connection-user", `\${ENV:${catalogEnv.jdbcUser}}`],
        ["iceberg.jdbc-catalog.connection-password", `\${ENV:${catalogEnv.jdbcPassword}}`],
        ["iceberg.jdbc-catalog.default-warehouse-dir", a.warehouse],
        // Flink creates the catalog tables with jdbc.schema-version=V1; Trino must agree.
        ["iceberg.jdbc-catalog.schema-version", "V1"],
        ["fs.native-s3.enabled", "true"],
        ["s3.endpoint", a.s3Endpoint],
        ["s3.region", a.s3Region],
        ["s3.path-style-access", String(a.s3PathStyle)],
    ];
    if (a.staticCredentials) {
        props.push(["s3.aws-access-key", `\${ENV:${catalogEnv.s3AccessKey}}`], ["s3.aws-secret-key", `\${ENV:${catalogEnv.s3SecretKey}}`]);
    }
    return props.map(([k, v]) => `${k}=${v}`).join("\n") + "\n";
}
