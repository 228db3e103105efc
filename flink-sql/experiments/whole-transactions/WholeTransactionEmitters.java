package org.apache.flink.cdc.connectors.mysql.source;

import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceOutput;
import org.apache.flink.cdc.connectors.mysql.source.config.MySqlSourceConfig;
import org.apache.flink.cdc.connectors.mysql.source.metrics.MySqlSourceReaderMetrics;
import org.apache.flink.cdc.connectors.mysql.source.reader.MySqlRecordEmitter;
import org.apache.flink.cdc.connectors.mysql.source.split.MySqlSplitState;
import org.apache.flink.cdc.connectors.mysql.source.split.SourceRecords;
import org.apache.flink.cdc.connectors.mysql.source.utils.RecordUtils;
import org.apache.flink.cdc.connectors.shaded.org.apache.kafka.connect.data.Struct;
import org.apache.flink.cdc.connectors.shaded.org.apache.kafka.connect.source.SourceRecord;
import org.apache.flink.cdc.debezium.DebeziumDeserializationSchema;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;

/**
 * EXPERIMENT (issue 10): makes a MySqlSource emit each binlog transaction whole.
 *
 * <p>A checkpoint barrier reaches a FLIP-27 source between two calls of its record emitter; the
 * MySQL source's emitter gets one queue poll of Debezium events per call, and those polls do not
 * follow transaction boundaries. With Debezium's transaction metadata on, BEGIN and END markers
 * arrive in the same queue; this emitter holds a transaction's change events (and the offsets
 * they carry) until its END marker and then emits them all in one call, so a barrier can only
 * fall between transactions. The split state's offset moves only with emitted events: a
 * checkpoint taken while a transaction is held back restarts before it and reads it again.
 *
 * <p>Lives in the connector's package because the emitter hook of MySqlSource is package-private.
 */
public final class WholeTransactionEmitters {

    private WholeTransactionEmitters() {}

    /** Replaces the source's emitter with the transaction-holding one; any other source is returned as is. */
    public static <T> Source<T, ?, ?> wrap(Source<T, ?, ?> source) {
        if (!(source instanceof MySqlSource)) {
            return source;
        }
        try {
            MySqlSource<T> mySqlSource = (MySqlSource<T>) source;
            Field field = MySqlSource.class.getDeclaredField("deserializationSchema");
            field.setAccessible(true);
            @SuppressWarnings("unchecked")
            DebeziumDeserializationSchema<T> deserializer = (DebeziumDeserializationSchema<T>) field.get(mySqlSource);
            return new MySqlSource<>(mySqlSource.getConfigFactory(), deserializer, new Supplier<>(deserializer));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot reach the MySqlSource's deserializer", e);
        }
    }

    private static final class Supplier<T> implements MySqlSource.RecordEmitterSupplier<T> {
        private static final long serialVersionUID = 1L;
        private final DebeziumDeserializationSchema<T> deserializer;

        Supplier(DebeziumDeserializationSchema<T> deserializer) {
            this.deserializer = deserializer;
        }

        @Override
        public MySqlRecordEmitter<T> get(MySqlSourceReaderMetrics metrics, MySqlSourceConfig config) {
            return new Emitter<>(deserializer, metrics, config.isIncludeSchemaChanges());
        }
    }

    static final class Emitter<T> extends MySqlRecordEmitter<T> {
        /** Measure only: emit as the stock emitter does, count the transactions it leaves cut at a poll's end. */
        private static final boolean OBSERVE = "true".equals(System.getenv("WHOLE_TX_OBSERVE"));
        private static final Logger LOG = LoggerFactory.getLogger("dev.lakehouse.flink.WholeTransactions");
        private final List<SourceRecord> held = new ArrayList<>();
        private boolean inTransaction;
        /** The open transaction was still open at the end of a queue poll: the stock emitter could have let a barrier in. */
        private boolean spansPolls;
        private long transactions;
        private long spanningPolls;
        private int largest;
        /** When the open transaction's first event was held back (System.nanoTime). */
        private long heldSince;
        private long heldNanosTotal;
        private long heldNanosMax;

        Emitter(DebeziumDeserializationSchema<T> deserializer, MySqlSourceReaderMetrics metrics, boolean includeSchemaChanges) {
            super(deserializer, metrics, includeSchemaChanges);
        }

        @Override
        public void emitRecord(SourceRecords records, SourceOutput<T> output, MySqlSplitState state) throws Exception {
            if (!state.isBinlogSplitState()) {
                super.emitRecord(records, output, state);
                return;
            }
            for (SourceRecord record : records.getSourceRecordList()) {
                String status = transactionStatus(record);
                if ("BEGIN".equals(status)) {
                    flush(output, state);
                    inTransaction = true;
                } else if ("END".equals(status)) {
                    transactions++;
                    if (spansPolls) spanningPolls++;
                    largest = Math.max(largest, held.size());
                    if (!held.isEmpty()) {
                        long heldNanos = System.nanoTime() - heldSince;
                        heldNanosTotal += heldNanos;
                        heldNanosMax = Math.max(heldNanosMax, heldNanos);
                    }
                    flush(output, state);
                    inTransaction = false;
                    spansPolls = false;
                    if (transactions == 1 || transactions % 500 == 0) {
                        LOG.info(
                                OBSERVE
                                        ? "OBSERVE (stock emission): {} transactions, {} of them left cut at the end of a queue poll, largest {} events, cut or held {} us on average, {} us at most"
                                        : "{} transactions emitted whole, {} of them spanned more than one queue poll, largest {} events, held back {} us on average, {} us at most",
                                transactions, spanningPolls, largest, heldNanosTotal / transactions / 1000, heldNanosMax / 1000);
                    }
                } else if (inTransaction && (RecordUtils.isDataChangeRecord(record) || RecordUtils.isHeartbeatEvent(record))) {
                    if (held.isEmpty()) heldSince = System.nanoTime();
                    held.add(record);
                    if (OBSERVE) processElement(record, output, state);
                } else {
                    processElement(record, output, state);
                }
            }
            if (inTransaction && !held.isEmpty()) {
                spansPolls = true;
            }
        }

        private void flush(SourceOutput<T> output, MySqlSplitState state) throws Exception {
            for (SourceRecord record : OBSERVE ? List.<SourceRecord>of() : held) {
                processElement(record, output, state);
            }
            held.clear();
        }

        /** "BEGIN" or "END" for Debezium's transaction markers, null for anything else. */
        private static String transactionStatus(SourceRecord record) {
            if (!(record.value() instanceof Struct)) {
                return null;
            }
            Struct value = (Struct) record.value();
            String name = value.schema().name();
            if (name == null || !name.endsWith("TransactionMetadataValue")) {
                return null;
            }
            return value.getString("status");
        }
    }
}
