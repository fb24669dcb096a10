import GaleraProbe
import HACore

/// Rows captured from real MariaDB 10.11.19 + galera-4 (provider 4.23) servers on this machine kind, as
/// the probe reads them: the output of `GaleraStatus.statusQuery`, a `--` line, then the output of
/// `GaleraStatus.variablesQuery` (tab-separated, as `mariadb -N -B` prints them; tabs written `\t`).
///
/// Joining, Joined and "not ready while Primary" cannot be captured here (a joiner accepts no
/// connections during its SST and leaves Joined within milliseconds), so ``CapturedRows/derived(_:_:)``
/// builds them from the Synced capture by replacing the named rows.
enum CapturedRows {
    /// Synced, 2-node cluster.
    static let synced = """
        wsrep_local_state_uuid\t10c9624f-e616-11f1-87c5-4e158596c166
        wsrep_protocol_version\t11
        wsrep_protocol_application\t4
        wsrep_protocol_replicator\t11
        wsrep_protocol_gcs\t5
        wsrep_last_committed\t2
        wsrep_replicated\t0
        wsrep_replicated_bytes\t0
        wsrep_repl_keys\t0
        wsrep_repl_keys_bytes\t0
        wsrep_repl_data_bytes\t0
        wsrep_repl_other_bytes\t0
        wsrep_received\t6
        wsrep_received_bytes\t454
        wsrep_local_commits\t0
        wsrep_local_cert_failures\t0
        wsrep_local_replays\t0
        wsrep_local_send_queue\t0
        wsrep_local_send_queue_max\t1
        wsrep_local_send_queue_min\t0
        wsrep_local_send_queue_avg\t0
        wsrep_local_recv_queue\t0
        wsrep_local_recv_queue_max\t2
        wsrep_local_recv_queue_min\t0
        wsrep_local_recv_queue_avg\t0.333333
        wsrep_local_cached_downto\t1
        wsrep_flow_control_paused_ns\t0
        wsrep_flow_control_paused\t0
        wsrep_flow_control_sent\t0
        wsrep_flow_control_recv\t0
        wsrep_flow_control_active\tfalse
        wsrep_flow_control_requested\tfalse
        wsrep_cert_deps_distance\t0
        wsrep_apply_oooe\t0
        wsrep_apply_oool\t0
        wsrep_apply_window\t0
        wsrep_apply_waits\t0
        wsrep_commit_oooe\t0
        wsrep_commit_oool\t0
        wsrep_commit_window\t0
        wsrep_local_state\t4
        wsrep_local_state_comment\tSynced
        wsrep_cert_index_size\t0
        wsrep_causal_reads\t0
        wsrep_cert_interval\t0
        wsrep_open_transactions\t0
        wsrep_open_connections\t0
        wsrep_incoming_addresses\t127.0.0.1:23311,127.0.0.1:23312
        wsrep_cluster_weight\t2
        wsrep_desync_count\t0
        wsrep_evs_delayed\t
        wsrep_evs_evict_list\t
        wsrep_evs_repl_latency\t9.6935e-05/0.000758945/0.00334352/0.00117037/6
        wsrep_evs_state\tOPERATIONAL
        wsrep_gcomm_uuid\t10c88e39-e616-11f1-b4b2-ef265bc1017c
        wsrep_gmcast_segment\t0
        wsrep_checkpoint_position\t10c9624f-e616-11f1-87c5-4e158596c166:2
        wsrep_se_checkpoint\t10c9624f-e616-11f1-87c5-4e158596c166:2 0-1-0
        wsrep_applier_thread_count\t1
        wsrep_cluster_capabilities\t
        wsrep_cluster_conf_id\t2
        wsrep_cluster_size\t2
        wsrep_cluster_state_uuid\t10c9624f-e616-11f1-87c5-4e158596c166
        wsrep_cluster_status\tPrimary
        wsrep_connected\tON
        wsrep_local_bf_aborts\t0
        wsrep_local_index\t0
        wsrep_provider_capabilities\t:MULTI_MASTER:CERTIFICATION:PARALLEL_APPLYING:TRX_REPLAY:ISOLATION:PAUSE:CAUSAL_READS:INCREMENTAL_WRITESET:UNORDERED:PREORDERED:STREAMING:NBO:
        wsrep_provider_name\tGalera
        wsrep_provider_vendor\tCodership Oy <info@codership.com>
        wsrep_provider_version\t4.23(rXXXX)
        wsrep_ready\tON
        wsrep_rollbacker_thread_count\t1
        wsrep_thread_count\t2
        --
        read_only\tOFF
        wsrep_desync\tOFF
        wsrep_on\tON
        wsrep_provider\t/usr/lib/galera/libgalera_smm.so
        wsrep_reject_queries\tNONE
        wsrep_sst_donor_rejects_queries\tOFF
        """

    /// Synced, single bootstrapped node.
    static let syncedSingle = """
        wsrep_local_state_uuid\t10c9624f-e616-11f1-87c5-4e158596c166
        wsrep_protocol_version\t11
        wsrep_protocol_application\t4
        wsrep_protocol_replicator\t11
        wsrep_protocol_gcs\t5
        wsrep_last_committed\t1
        wsrep_replicated\t0
        wsrep_replicated_bytes\t0
        wsrep_repl_keys\t0
        wsrep_repl_keys_bytes\t0
        wsrep_repl_data_bytes\t0
        wsrep_repl_other_bytes\t0
        wsrep_received\t2
        wsrep_received_bytes\t136
        wsrep_local_commits\t0
        wsrep_local_cert_failures\t0
        wsrep_local_replays\t0
        wsrep_local_send_queue\t0
        wsrep_local_send_queue_max\t1
        wsrep_local_send_queue_min\t0
        wsrep_local_send_queue_avg\t0
        wsrep_local_recv_queue\t0
        wsrep_local_recv_queue_max\t2
        wsrep_local_recv_queue_min\t0
        wsrep_local_recv_queue_avg\t0.5
        wsrep_local_cached_downto\t1
        wsrep_flow_control_paused_ns\t0
        wsrep_flow_control_paused\t0
        wsrep_flow_control_sent\t0
        wsrep_flow_control_recv\t0
        wsrep_flow_control_active\tfalse
        wsrep_flow_control_requested\tfalse
        wsrep_cert_deps_distance\t0
        wsrep_apply_oooe\t0
        wsrep_apply_oool\t0
        wsrep_apply_window\t0
        wsrep_apply_waits\t0
        wsrep_commit_oooe\t0
        wsrep_commit_oool\t0
        wsrep_commit_window\t0
        wsrep_local_state\t4
        wsrep_local_state_comment\tSynced
        wsrep_cert_index_size\t0
        wsrep_causal_reads\t0
        wsrep_cert_interval\t0
        wsrep_open_transactions\t0
        wsrep_open_connections\t0
        wsrep_incoming_addresses\t127.0.0.1:23311
        wsrep_cluster_weight\t1
        wsrep_desync_count\t0
        wsrep_evs_delayed\t
        wsrep_evs_evict_list\t
        wsrep_evs_repl_latency\t2.71e-07/2.9144e-06/6.509e-06/2.63382e-06/5
        wsrep_evs_state\tOPERATIONAL
        wsrep_gcomm_uuid\t10c88e39-e616-11f1-b4b2-ef265bc1017c
        wsrep_gmcast_segment\t0
        wsrep_checkpoint_position\t10c9624f-e616-11f1-87c5-4e158596c166:1
        wsrep_se_checkpoint\t10c9624f-e616-11f1-87c5-4e158596c166:1 0-1-0
        wsrep_applier_thread_count\t1
        wsrep_cluster_capabilities\t
        wsrep_cluster_conf_id\t1
        wsrep_cluster_size\t1
        wsrep_cluster_state_uuid\t10c9624f-e616-11f1-87c5-4e158596c166
        wsrep_cluster_status\tPrimary
        wsrep_connected\tON
        wsrep_local_bf_aborts\t0
        wsrep_local_index\t0
        wsrep_provider_capabilities\t:MULTI_MASTER:CERTIFICATION:PARALLEL_APPLYING:TRX_REPLAY:ISOLATION:PAUSE:CAUSAL_READS:INCREMENTAL_WRITESET:UNORDERED:PREORDERED:STREAMING:NBO:
        wsrep_provider_name\tGalera
        wsrep_provider_vendor\tCodership Oy <info@codership.com>
        wsrep_provider_version\t4.23(rXXXX)
        wsrep_ready\tON
        wsrep_rollbacker_thread_count\t1
        wsrep_thread_count\t2
        --
        read_only\tOFF
        wsrep_desync\tOFF
        wsrep_on\tON
        wsrep_provider\t/usr/lib/galera/libgalera_smm.so
        wsrep_reject_queries\tNONE
        wsrep_sst_donor_rejects_queries\tOFF
        """

    /// The donor while a joiner takes an rsync SST from it.
    static let donorDuringSST = """
        wsrep_local_state_uuid\t10c9624f-e616-11f1-87c5-4e158596c166
        wsrep_protocol_version\t11
        wsrep_protocol_application\t4
        wsrep_protocol_replicator\t11
        wsrep_protocol_gcs\t5
        wsrep_last_committed\t2
        wsrep_replicated\t0
        wsrep_replicated_bytes\t0
        wsrep_repl_keys\t0
        wsrep_repl_keys_bytes\t0
        wsrep_repl_data_bytes\t0
        wsrep_repl_other_bytes\t0
        wsrep_received\t4
        wsrep_received_bytes\t438
        wsrep_local_commits\t0
        wsrep_local_cert_failures\t0
        wsrep_local_replays\t0
        wsrep_local_send_queue\t0
        wsrep_local_send_queue_max\t1
        wsrep_local_send_queue_min\t0
        wsrep_local_send_queue_avg\t0
        wsrep_local_recv_queue\t0
        wsrep_local_recv_queue_max\t2
        wsrep_local_recv_queue_min\t0
        wsrep_local_recv_queue_avg\t0.25
        wsrep_local_cached_downto\t1
        wsrep_flow_control_paused_ns\t0
        wsrep_flow_control_paused\t0
        wsrep_flow_control_sent\t0
        wsrep_flow_control_recv\t0
        wsrep_flow_control_active\tfalse
        wsrep_flow_control_requested\tfalse
        wsrep_cert_deps_distance\t0
        wsrep_apply_oooe\t0
        wsrep_apply_oool\t0
        wsrep_apply_window\t0
        wsrep_apply_waits\t0
        wsrep_commit_oooe\t0
        wsrep_commit_oool\t0
        wsrep_commit_window\t0
        wsrep_local_state\t2
        wsrep_local_state_comment\tDonor/Desynced
        wsrep_cert_index_size\t0
        wsrep_causal_reads\t0
        wsrep_cert_interval\t0
        wsrep_open_transactions\t0
        wsrep_open_connections\t0
        wsrep_incoming_addresses\t127.0.0.1:23311,127.0.0.1:23312
        wsrep_cluster_weight\t2
        wsrep_desync_count\t1
        wsrep_evs_delayed\t
        wsrep_evs_evict_list\t
        wsrep_evs_repl_latency\t9.6935e-05/0.000952109/0.00334352/0.00138158/4
        wsrep_evs_state\tOPERATIONAL
        wsrep_gcomm_uuid\t10c88e39-e616-11f1-b4b2-ef265bc1017c
        wsrep_gmcast_segment\t0
        wsrep_checkpoint_position\t10c9624f-e616-11f1-87c5-4e158596c166:2
        wsrep_se_checkpoint\t10c9624f-e616-11f1-87c5-4e158596c166:2 0-1-0
        wsrep_applier_thread_count\t1
        wsrep_cluster_capabilities\t
        wsrep_cluster_conf_id\t2
        wsrep_cluster_size\t2
        wsrep_cluster_state_uuid\t10c9624f-e616-11f1-87c5-4e158596c166
        wsrep_cluster_status\tPrimary
        wsrep_connected\tON
        wsrep_local_bf_aborts\t0
        wsrep_local_index\t0
        wsrep_provider_capabilities\t:MULTI_MASTER:CERTIFICATION:PARALLEL_APPLYING:TRX_REPLAY:ISOLATION:PAUSE:CAUSAL_READS:INCREMENTAL_WRITESET:UNORDERED:PREORDERED:STREAMING:NBO:
        wsrep_provider_name\tGalera
        wsrep_provider_vendor\tCodership Oy <info@codership.com>
        wsrep_provider_version\t4.23(rXXXX)
        wsrep_ready\tON
        wsrep_rollbacker_thread_count\t1
        wsrep_thread_count\t2
        --
        read_only\tOFF
        wsrep_desync\tOFF
        wsrep_on\tON
        wsrep_provider\t/usr/lib/galera/libgalera_smm.so
        wsrep_reject_queries\tNONE
        wsrep_sst_donor_rejects_queries\tOFF
        """

    /// `SET GLOBAL wsrep_desync=ON`.
    static let desynced = """
        wsrep_local_state_uuid\t10c9624f-e616-11f1-87c5-4e158596c166
        wsrep_protocol_version\t11
        wsrep_protocol_application\t4
        wsrep_protocol_replicator\t11
        wsrep_protocol_gcs\t5
        wsrep_last_committed\t2
        wsrep_replicated\t0
        wsrep_replicated_bytes\t0
        wsrep_repl_keys\t0
        wsrep_repl_keys_bytes\t0
        wsrep_repl_data_bytes\t0
        wsrep_repl_other_bytes\t0
        wsrep_received\t6
        wsrep_received_bytes\t454
        wsrep_local_commits\t0
        wsrep_local_cert_failures\t0
        wsrep_local_replays\t0
        wsrep_local_send_queue\t0
        wsrep_local_send_queue_max\t1
        wsrep_local_send_queue_min\t0
        wsrep_local_send_queue_avg\t0
        wsrep_local_recv_queue\t0
        wsrep_local_recv_queue_max\t2
        wsrep_local_recv_queue_min\t0
        wsrep_local_recv_queue_avg\t0.333333
        wsrep_local_cached_downto\t1
        wsrep_flow_control_paused_ns\t0
        wsrep_flow_control_paused\t0
        wsrep_flow_control_sent\t0
        wsrep_flow_control_recv\t0
        wsrep_flow_control_active\tfalse
        wsrep_flow_control_requested\tfalse
        wsrep_cert_deps_distance\t0
        wsrep_apply_oooe\t0
        wsrep_apply_oool\t0
        wsrep_apply_window\t0
        wsrep_apply_waits\t0
        wsrep_commit_oooe\t0
        wsrep_commit_oool\t0
        wsrep_commit_window\t0
        wsrep_local_state\t2
        wsrep_local_state_comment\tDonor/Desynced
        wsrep_cert_index_size\t0
        wsrep_causal_reads\t0
        wsrep_cert_interval\t0
        wsrep_open_transactions\t0
        wsrep_open_connections\t0
        wsrep_incoming_addresses\t127.0.0.1:23311,127.0.0.1:23312
        wsrep_cluster_weight\t2
        wsrep_desync_count\t1
        wsrep_evs_delayed\t
        wsrep_evs_evict_list\t
        wsrep_evs_repl_latency\t9.6935e-05/0.000680023/0.00334352/0.00110066/7
        wsrep_evs_state\tOPERATIONAL
        wsrep_gcomm_uuid\t10c88e39-e616-11f1-b4b2-ef265bc1017c
        wsrep_gmcast_segment\t0
        wsrep_checkpoint_position\t10c9624f-e616-11f1-87c5-4e158596c166:2
        wsrep_se_checkpoint\t10c9624f-e616-11f1-87c5-4e158596c166:2 0-1-0
        wsrep_applier_thread_count\t1
        wsrep_cluster_capabilities\t
        wsrep_cluster_conf_id\t2
        wsrep_cluster_size\t2
        wsrep_cluster_state_uuid\t10c9624f-e616-11f1-87c5-4e158596c166
        wsrep_cluster_status\tPrimary
        wsrep_connected\tON
        wsrep_local_bf_aborts\t0
        wsrep_local_index\t0
        wsrep_provider_capabilities\t:MULTI_MASTER:CERTIFICATION:PARALLEL_APPLYING:TRX_REPLAY:ISOLATION:PAUSE:CAUSAL_READS:INCREMENTAL_WRITESET:UNORDERED:PREORDERED:STREAMING:NBO:
        wsrep_provider_name\tGalera
        wsrep_provider_vendor\tCodership Oy <info@codership.com>
        wsrep_provider_version\t4.23(rXXXX)
        wsrep_ready\tON
        wsrep_rollbacker_thread_count\t1
        wsrep_thread_count\t2
        --
        read_only\tOFF
        wsrep_desync\tON
        wsrep_on\tON
        wsrep_provider\t/usr/lib/galera/libgalera_smm.so
        wsrep_reject_queries\tNONE
        wsrep_sst_donor_rejects_queries\tOFF
        """

    /// `wsrep_desync=ON` and `wsrep_sst_donor_rejects_queries=ON`.
    static let desyncedDonorRejects = """
        wsrep_local_state_uuid\t10c9624f-e616-11f1-87c5-4e158596c166
        wsrep_protocol_version\t11
        wsrep_protocol_application\t4
        wsrep_protocol_replicator\t11
        wsrep_protocol_gcs\t5
        wsrep_last_committed\t2
        wsrep_replicated\t0
        wsrep_replicated_bytes\t0
        wsrep_repl_keys\t0
        wsrep_repl_keys_bytes\t0
        wsrep_repl_data_bytes\t0
        wsrep_repl_other_bytes\t0
        wsrep_received\t6
        wsrep_received_bytes\t454
        wsrep_local_commits\t0
        wsrep_local_cert_failures\t0
        wsrep_local_replays\t0
        wsrep_local_send_queue\t0
        wsrep_local_send_queue_max\t1
        wsrep_local_send_queue_min\t0
        wsrep_local_send_queue_avg\t0
        wsrep_local_recv_queue\t0
        wsrep_local_recv_queue_max\t2
        wsrep_local_recv_queue_min\t0
        wsrep_local_recv_queue_avg\t0.333333
        wsrep_local_cached_downto\t1
        wsrep_flow_control_paused_ns\t0
        wsrep_flow_control_paused\t0
        wsrep_flow_control_sent\t0
        wsrep_flow_control_recv\t0
        wsrep_flow_control_active\tfalse
        wsrep_flow_control_requested\tfalse
        wsrep_cert_deps_distance\t0
        wsrep_apply_oooe\t0
        wsrep_apply_oool\t0
        wsrep_apply_window\t0
        wsrep_apply_waits\t0
        wsrep_commit_oooe\t0
        wsrep_commit_oool\t0
        wsrep_commit_window\t0
        wsrep_local_state\t2
        wsrep_local_state_comment\tDonor/Desynced
        wsrep_cert_index_size\t0
        wsrep_causal_reads\t0
        wsrep_cert_interval\t0
        wsrep_open_transactions\t0
        wsrep_open_connections\t0
        wsrep_incoming_addresses\t127.0.0.1:23311,127.0.0.1:23312
        wsrep_cluster_weight\t2
        wsrep_desync_count\t1
        wsrep_evs_delayed\t
        wsrep_evs_evict_list\t
        wsrep_evs_repl_latency\t9.6935e-05/0.000680023/0.00334352/0.00110066/7
        wsrep_evs_state\tOPERATIONAL
        wsrep_gcomm_uuid\t10c88e39-e616-11f1-b4b2-ef265bc1017c
        wsrep_gmcast_segment\t0
        wsrep_checkpoint_position\t10c9624f-e616-11f1-87c5-4e158596c166:2
        wsrep_se_checkpoint\t10c9624f-e616-11f1-87c5-4e158596c166:2 0-1-0
        wsrep_applier_thread_count\t1
        wsrep_cluster_capabilities\t
        wsrep_cluster_conf_id\t2
        wsrep_cluster_size\t2
        wsrep_cluster_state_uuid\t10c9624f-e616-11f1-87c5-4e158596c166
        wsrep_cluster_status\tPrimary
        wsrep_connected\tON
        wsrep_local_bf_aborts\t0
        wsrep_local_index\t0
        wsrep_provider_capabilities\t:MULTI_MASTER:CERTIFICATION:PARALLEL_APPLYING:TRX_REPLAY:ISOLATION:PAUSE:CAUSAL_READS:INCREMENTAL_WRITESET:UNORDERED:PREORDERED:STREAMING:NBO:
        wsrep_provider_name\tGalera
        wsrep_provider_vendor\tCodership Oy <info@codership.com>
        wsrep_provider_version\t4.23(rXXXX)
        wsrep_ready\tON
        wsrep_rollbacker_thread_count\t1
        wsrep_thread_count\t2
        --
        read_only\tOFF
        wsrep_desync\tON
        wsrep_on\tON
        wsrep_provider\t/usr/lib/galera/libgalera_smm.so
        wsrep_reject_queries\tNONE
        wsrep_sst_donor_rejects_queries\tON
        """

    /// `SET GLOBAL wsrep_reject_queries=ALL`.
    static let rejectAll = """
        wsrep_local_state_uuid\t10c9624f-e616-11f1-87c5-4e158596c166
        wsrep_protocol_version\t11
        wsrep_protocol_application\t4
        wsrep_protocol_replicator\t11
        wsrep_protocol_gcs\t5
        wsrep_last_committed\t2
        wsrep_replicated\t0
        wsrep_replicated_bytes\t0
        wsrep_repl_keys\t0
        wsrep_repl_keys_bytes\t0
        wsrep_repl_data_bytes\t0
        wsrep_repl_other_bytes\t0
        wsrep_received\t8
        wsrep_received_bytes\t470
        wsrep_local_commits\t0
        wsrep_local_cert_failures\t0
        wsrep_local_replays\t0
        wsrep_local_send_queue\t0
        wsrep_local_send_queue_max\t1
        wsrep_local_send_queue_min\t0
        wsrep_local_send_queue_avg\t0
        wsrep_local_recv_queue\t0
        wsrep_local_recv_queue_max\t2
        wsrep_local_recv_queue_min\t0
        wsrep_local_recv_queue_avg\t0.25
        wsrep_local_cached_downto\t1
        wsrep_flow_control_paused_ns\t0
        wsrep_flow_control_paused\t0
        wsrep_flow_control_sent\t0
        wsrep_flow_control_recv\t0
        wsrep_flow_control_active\tfalse
        wsrep_flow_control_requested\tfalse
        wsrep_cert_deps_distance\t0
        wsrep_apply_oooe\t0
        wsrep_apply_oool\t0
        wsrep_apply_window\t0
        wsrep_apply_waits\t0
        wsrep_commit_oooe\t0
        wsrep_commit_oool\t0
        wsrep_commit_window\t0
        wsrep_local_state\t4
        wsrep_local_state_comment\tSynced
        wsrep_cert_index_size\t0
        wsrep_causal_reads\t0
        wsrep_cert_interval\t0
        wsrep_open_transactions\t0
        wsrep_open_connections\t0
        wsrep_incoming_addresses\t127.0.0.1:23311,127.0.0.1:23312
        wsrep_cluster_weight\t2
        wsrep_desync_count\t0
        wsrep_evs_delayed\t
        wsrep_evs_evict_list\t
        wsrep_evs_repl_latency\t9.6935e-05/0.00056806/0.00334352/0.000993157/9
        wsrep_evs_state\tOPERATIONAL
        wsrep_gcomm_uuid\t10c88e39-e616-11f1-b4b2-ef265bc1017c
        wsrep_gmcast_segment\t0
        wsrep_checkpoint_position\t10c9624f-e616-11f1-87c5-4e158596c166:2
        wsrep_se_checkpoint\t10c9624f-e616-11f1-87c5-4e158596c166:2 0-1-0
        wsrep_applier_thread_count\t1
        wsrep_cluster_capabilities\t
        wsrep_cluster_conf_id\t2
        wsrep_cluster_size\t2
        wsrep_cluster_state_uuid\t10c9624f-e616-11f1-87c5-4e158596c166
        wsrep_cluster_status\tPrimary
        wsrep_connected\tON
        wsrep_local_bf_aborts\t0
        wsrep_local_index\t0
        wsrep_provider_capabilities\t:MULTI_MASTER:CERTIFICATION:PARALLEL_APPLYING:TRX_REPLAY:ISOLATION:PAUSE:CAUSAL_READS:INCREMENTAL_WRITESET:UNORDERED:PREORDERED:STREAMING:NBO:
        wsrep_provider_name\tGalera
        wsrep_provider_vendor\tCodership Oy <info@codership.com>
        wsrep_provider_version\t4.23(rXXXX)
        wsrep_ready\tON
        wsrep_rollbacker_thread_count\t1
        wsrep_thread_count\t2
        --
        read_only\tOFF
        wsrep_desync\tOFF
        wsrep_on\tON
        wsrep_provider\t/usr/lib/galera/libgalera_smm.so
        wsrep_reject_queries\tALL
        wsrep_sst_donor_rejects_queries\tOFF
        """

    /// `SET GLOBAL read_only=ON`.
    static let readOnly = """
        wsrep_local_state_uuid\t10c9624f-e616-11f1-87c5-4e158596c166
        wsrep_protocol_version\t11
        wsrep_protocol_application\t4
        wsrep_protocol_replicator\t11
        wsrep_protocol_gcs\t5
        wsrep_last_committed\t2
        wsrep_replicated\t0
        wsrep_replicated_bytes\t0
        wsrep_repl_keys\t0
        wsrep_repl_keys_bytes\t0
        wsrep_repl_data_bytes\t0
        wsrep_repl_other_bytes\t0
        wsrep_received\t10
        wsrep_received_bytes\t486
        wsrep_local_commits\t0
        wsrep_local_cert_failures\t0
        wsrep_local_replays\t0
        wsrep_local_send_queue\t0
        wsrep_local_send_queue_max\t1
        wsrep_local_send_queue_min\t0
        wsrep_local_send_queue_avg\t0
        wsrep_local_recv_queue\t0
        wsrep_local_recv_queue_max\t2
        wsrep_local_recv_queue_min\t0
        wsrep_local_recv_queue_avg\t0.2
        wsrep_local_cached_downto\t1
        wsrep_flow_control_paused_ns\t0
        wsrep_flow_control_paused\t0
        wsrep_flow_control_sent\t0
        wsrep_flow_control_recv\t0
        wsrep_flow_control_active\tfalse
        wsrep_flow_control_requested\tfalse
        wsrep_cert_deps_distance\t0
        wsrep_apply_oooe\t0
        wsrep_apply_oool\t0
        wsrep_apply_window\t0
        wsrep_apply_waits\t0
        wsrep_commit_oooe\t0
        wsrep_commit_oool\t0
        wsrep_commit_window\t0
        wsrep_local_state\t4
        wsrep_local_state_comment\tSynced
        wsrep_cert_index_size\t0
        wsrep_causal_reads\t0
        wsrep_cert_interval\t0
        wsrep_open_transactions\t0
        wsrep_open_connections\t0
        wsrep_incoming_addresses\t127.0.0.1:23311,127.0.0.1:23312
        wsrep_cluster_weight\t2
        wsrep_desync_count\t0
        wsrep_evs_delayed\t
        wsrep_evs_evict_list\t
        wsrep_evs_repl_latency\t9.6935e-05/0.000481/0.00334352/0.000874167/12
        wsrep_evs_state\tOPERATIONAL
        wsrep_gcomm_uuid\t10c88e39-e616-11f1-b4b2-ef265bc1017c
        wsrep_gmcast_segment\t0
        wsrep_checkpoint_position\t10c9624f-e616-11f1-87c5-4e158596c166:2
        wsrep_se_checkpoint\t10c9624f-e616-11f1-87c5-4e158596c166:2 0-1-0
        wsrep_applier_thread_count\t1
        wsrep_cluster_capabilities\t
        wsrep_cluster_conf_id\t2
        wsrep_cluster_size\t2
        wsrep_cluster_state_uuid\t10c9624f-e616-11f1-87c5-4e158596c166
        wsrep_cluster_status\tPrimary
        wsrep_connected\tON
        wsrep_local_bf_aborts\t0
        wsrep_local_index\t0
        wsrep_provider_capabilities\t:MULTI_MASTER:CERTIFICATION:PARALLEL_APPLYING:TRX_REPLAY:ISOLATION:PAUSE:CAUSAL_READS:INCREMENTAL_WRITESET:UNORDERED:PREORDERED:STREAMING:NBO:
        wsrep_provider_name\tGalera
        wsrep_provider_vendor\tCodership Oy <info@codership.com>
        wsrep_provider_version\t4.23(rXXXX)
        wsrep_ready\tON
        wsrep_rollbacker_thread_count\t1
        wsrep_thread_count\t2
        --
        read_only\tON
        wsrep_desync\tOFF
        wsrep_on\tON
        wsrep_provider\t/usr/lib/galera/libgalera_smm.so
        wsrep_reject_queries\tNONE
        wsrep_sst_donor_rejects_queries\tOFF
        """

    /// The survivor of a 2-node cluster after `kill -9` of the other.
    static let nonPrimary = """
        wsrep_local_state_uuid\t10c9624f-e616-11f1-87c5-4e158596c166
        wsrep_protocol_version\t11
        wsrep_protocol_application\t4
        wsrep_protocol_replicator\t11
        wsrep_protocol_gcs\t5
        wsrep_last_committed\t2
        wsrep_replicated\t0
        wsrep_replicated_bytes\t0
        wsrep_repl_keys\t0
        wsrep_repl_keys_bytes\t0
        wsrep_repl_data_bytes\t0
        wsrep_repl_other_bytes\t0
        wsrep_received\t12
        wsrep_received_bytes\t758
        wsrep_local_commits\t0
        wsrep_local_cert_failures\t0
        wsrep_local_replays\t0
        wsrep_local_send_queue\t0
        wsrep_local_send_queue_max\t1
        wsrep_local_send_queue_min\t0
        wsrep_local_send_queue_avg\t0
        wsrep_local_recv_queue\t0
        wsrep_local_recv_queue_max\t2
        wsrep_local_recv_queue_min\t0
        wsrep_local_recv_queue_avg\t0.166667
        wsrep_local_cached_downto\t1
        wsrep_flow_control_paused_ns\t0
        wsrep_flow_control_paused\t0
        wsrep_flow_control_sent\t0
        wsrep_flow_control_recv\t0
        wsrep_flow_control_active\tfalse
        wsrep_flow_control_requested\tfalse
        wsrep_cert_deps_distance\t0
        wsrep_apply_oooe\t0
        wsrep_apply_oool\t0
        wsrep_apply_window\t0
        wsrep_apply_waits\t0
        wsrep_commit_oooe\t0
        wsrep_commit_oool\t0
        wsrep_commit_window\t0
        wsrep_local_state\t0
        wsrep_local_state_comment\tInitialized
        wsrep_cert_index_size\t0
        wsrep_causal_reads\t0
        wsrep_cert_interval\t0
        wsrep_open_transactions\t0
        wsrep_open_connections\t0
        wsrep_incoming_addresses\t127.0.0.1:23311
        wsrep_cluster_weight\t0
        wsrep_desync_count\t0
        wsrep_evs_delayed\t
        wsrep_evs_evict_list\t
        wsrep_evs_repl_latency\t5.067e-06/5.067e-06/5.067e-06/0/1
        wsrep_evs_state\tOPERATIONAL
        wsrep_gcomm_uuid\t10c88e39-e616-11f1-b4b2-ef265bc1017c
        wsrep_gmcast_segment\t0
        wsrep_checkpoint_position\t10c9624f-e616-11f1-87c5-4e158596c166:2
        wsrep_se_checkpoint\t10c9624f-e616-11f1-87c5-4e158596c166:2 0-1-0
        wsrep_applier_thread_count\t1
        wsrep_cluster_capabilities\t
        wsrep_cluster_conf_id\t18446744073709551615
        wsrep_cluster_size\t1
        wsrep_cluster_state_uuid\t10c9624f-e616-11f1-87c5-4e158596c166
        wsrep_cluster_status\tnon-Primary
        wsrep_connected\tON
        wsrep_local_bf_aborts\t0
        wsrep_local_index\t0
        wsrep_provider_capabilities\t:MULTI_MASTER:CERTIFICATION:PARALLEL_APPLYING:TRX_REPLAY:ISOLATION:PAUSE:CAUSAL_READS:INCREMENTAL_WRITESET:UNORDERED:PREORDERED:STREAMING:NBO:
        wsrep_provider_name\tGalera
        wsrep_provider_vendor\tCodership Oy <info@codership.com>
        wsrep_provider_version\t4.23(rXXXX)
        wsrep_ready\tOFF
        wsrep_rollbacker_thread_count\t1
        wsrep_thread_count\t2
        --
        read_only\tOFF
        wsrep_desync\tOFF
        wsrep_on\tON
        wsrep_provider\t/usr/lib/galera/libgalera_smm.so
        wsrep_reject_queries\tNONE
        wsrep_sst_donor_rejects_queries\tOFF
        """

    /// MariaDB without Galera (`wsrep_on=OFF`, no provider).
    static let standalone = """
        wsrep\t0
        wsrep_applier_thread_count\t0
        wsrep_cluster_capabilities\t
        wsrep_cluster_conf_id\t18446744073709551615
        wsrep_cluster_size\t0
        wsrep_cluster_state_uuid\t
        wsrep_cluster_status\tDisconnected
        wsrep_connected\tOFF
        wsrep_local_bf_aborts\t0
        wsrep_local_index\t18446744073709551615
        wsrep_provider_capabilities\t
        wsrep_provider_name\t
        wsrep_provider_vendor\t
        wsrep_provider_version\t
        wsrep_ready\tOFF
        wsrep_rollbacker_thread_count\t0
        wsrep_thread_count\t0
        --
        read_only\tOFF
        wsrep_desync\tOFF
        wsrep_on\tOFF
        wsrep_provider\tnone
        wsrep_reject_queries\tNONE
        wsrep_sst_donor_rejects_queries\tOFF
        """

    /// (status rows, variable rows) of a capture.
    static func rows(_ capture: String) -> (status: [(name: String, value: String)], variables: [(name: String, value: String)]) {
        var status: [(name: String, value: String)] = []
        var variables: [(name: String, value: String)] = []
        var inVariables = false
        for line in capture.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "--" {
                inVariables = true
                continue
            }
            guard let tab = line.firstIndex(of: "\t") else { continue }
            let row = (name: String(line[..<tab]), value: String(line[line.index(after: tab)...]))
            if inVariables { variables.append(row) } else { status.append(row) }
        }
        return (status, variables)
    }

    /// The parsed status of a capture.
    static func status(_ capture: String) -> GaleraStatus {
        let (status, variables) = rows(capture)
        return GaleraStatus(statusRows: status, variableRows: variables)
    }

    /// `capture` with the rows named in `replacements` given new values (status or variable rows).
    static func derived(_ capture: String, _ replacements: [String: String]) -> String {
        capture.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            guard let tab = line.firstIndex(of: "\t"), let value = replacements[String(line[..<tab])] else {
                return String(line)
            }
            return "\(line[..<tab])\t\(value)"
        }.joined(separator: "\n")
    }
}
