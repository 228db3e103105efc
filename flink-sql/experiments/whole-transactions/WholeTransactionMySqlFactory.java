package dev.lakehouse.flink;

import org.apache.flink.cdc.connectors.mysql.source.WholeTransactionEmitters;
import org.apache.flink.cdc.connectors.mysql.table.MySqlTableSourceFactory;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.source.DynamicTableSource;
import org.apache.flink.table.connector.source.ScanTableSource;
import org.apache.flink.table.connector.source.SourceProvider;
import org.apache.flink.table.connector.source.abilities.SupportsReadingMetadata;
import org.apache.flink.table.factories.DynamicTableSourceFactory;
import org.apache.flink.table.types.DataType;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * EXPERIMENT (issue 10): connector 'mysql-cdc-whole-tx', the mysql-cdc connector with every option
 * the same, whose source emits each binlog transaction whole (WholeTransactionEmitters). Needs
 * 'debezium.provide.transaction.metadata' = 'true' for the markers it waits on.
 */
public final class WholeTransactionMySqlFactory implements DynamicTableSourceFactory {

    private final MySqlTableSourceFactory delegate = new MySqlTableSourceFactory();

    @Override
    public String factoryIdentifier() {
        return "mysql-cdc-whole-tx";
    }

    @Override
    public Set<ConfigOption<?>> requiredOptions() {
        return delegate.requiredOptions();
    }

    @Override
    public Set<ConfigOption<?>> optionalOptions() {
        return delegate.optionalOptions();
    }

    @Override
    public DynamicTableSource createDynamicTableSource(Context context) {
        return new Wrapped(delegate.createDynamicTableSource(context));
    }

    private static final class Wrapped implements ScanTableSource, SupportsReadingMetadata {
        private final DynamicTableSource inner;

        Wrapped(DynamicTableSource inner) {
            this.inner = inner;
        }

        @Override
        public ChangelogMode getChangelogMode() {
            return ((ScanTableSource) inner).getChangelogMode();
        }

        @Override
        public ScanRuntimeProvider getScanRuntimeProvider(ScanContext context) {
            ScanRuntimeProvider provider = ((ScanTableSource) inner).getScanRuntimeProvider(context);
            if (provider instanceof SourceProvider) {
                return SourceProvider.of(WholeTransactionEmitters.wrap(((SourceProvider) provider).createSource()));
            }
            throw new IllegalStateException("mysql-cdc-whole-tx needs the incremental (FLIP-27) source");
        }

        @Override
        public Map<String, DataType> listReadableMetadata() {
            return ((SupportsReadingMetadata) inner).listReadableMetadata();
        }

        @Override
        public void applyReadableMetadata(List<String> keys, DataType producedDataType) {
            ((SupportsReadingMetadata) inner).applyReadableMetadata(keys, producedDataType);
        }

        @Override
        public DynamicTableSource copy() {
            return new Wrapped(inner.copy());
        }

        @Override
        public String asSummaryString() {
            return "whole-transaction " + inner.asSummaryString();
        }
    }
}
