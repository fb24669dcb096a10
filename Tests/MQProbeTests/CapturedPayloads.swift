/// Management API answers of RabbitMQ 3.10.8 (Debian 12), for the parser and verdict tests.
///
/// "captured": recorded verbatim with curl from a broker started like ``LocalRabbitMQ`` (node
/// `rabbit@localhost`). "DERIVED": hand-edited copies for shapes a single node cannot produce, labelled
/// as such. `rabbitmqctl stop_app` stops the management listener too: the API then refuses the TCP
/// connection (curl 7, "Couldn't connect to server"), which has no payload to capture.
enum CapturedPayloads {
    /// captured: `GET /api/nodes/rabbit%40localhost` without `columns` (the full ~6 KB shape), healthy.
    static let healthyNodeFull = #"""
        {"partitions":[],"os_pid":"10378","fd_total":20000,"sockets_total":17910,"mem_limit":10110604083,"mem_alarm":false,"disk_free_limit":50000000,"disk_free_alarm":false,"proc_total":1048576,"rates_mode":"basic","uptime":16407,"run_queue":0,"processors":2,"exchange_types":[{"name":"headers","description":"AMQP headers exchange, as per the AMQP specification","enabled":true},{"name":"direct","description":"AMQP direct exchange, as per the AMQP specification","enabled":true},{"name":"fanout","description":"AMQP fanout exchange, as per the AMQP specification","enabled":true},{"name":"topic","description":"AMQP topic exchange, as per the AMQP specification","enabled":true}],"auth_mechanisms":[{"name":"RABBIT-CR-DEMO","description":"RabbitMQ Demo challenge-response authentication mechanism","enabled":false},{"name":"AMQPLAIN","description":"QPid AMQPLAIN mechanism","enabled":true},{"name":"PLAIN","description":"SASL PLAIN authentication mechanism","enabled":true}],"applications":[{"name":"amqp10_common","description":"Modules shared by rabbitmq-amqp1.0 and rabbitmq-amqp1.0-client","version":"3.10.8"},{"name":"asn1","description":"The Erlang ASN1 compiler version 5.0.21","version":"5.0.21"},{"name":"aten","description":"Erlang node failure detector","version":"0.5.8"},{"name":"compiler","description":"ERTS  CXC 138 10","version":"8.2.3"},{"name":"credentials_obfuscation","description":"Helper library that obfuscates sensitive values in process state","version":"3.1.0"},{"name":"crypto","description":"CRYPTO","version":"5.1.2"},{"name":"cuttlefish","description":"cuttlefish configuration abstraction","version":"3.0.1"},{"name":"enough","description":"A gen_server implementation with additional, overload-protected call type","version":"0.1.0"},{"name":"gen_batch_server","description":"Generic batching server","version":"0.8.8"},{"name":"inets","description":"INETS  CXC 138 49","version":"8.2.2"},{"name":"jsx","description":"a streaming, evented json parsing toolkit","version":"3.1.0"},{"name":"kernel","description":"ERTS  CXC 138 10","version":"8.5.3"},{"name":"mnesia","description":"MNESIA  CXC 138 12","version":"4.21.3"},{"name":"observer_cli","description":"Visualize Erlang Nodes On The Command Line","version":"1.7.3"},{"name":"os_mon","description":"CPO  CXC 138 46","version":"2.8"},{"name":"osiris","description":"New project","version":"1.3.1"},{"name":"public_key","description":"Public key infrastructure","version":"1.13.2"},{"name":"ra","description":"Raft library","version":"2.2.0"},{"name":"rabbit","description":"RabbitMQ","version":"3.10.8"},{"name":"rabbit_common","description":"Modules shared by rabbitmq-server and rabbitmq-erlang-client","version":"3.10.8"},{"name":"rabbitmq_prelaunch","description":"RabbitMQ prelaunch setup","version":"3.10.8"},{"name":"ranch","description":"Socket acceptor pool for TCP protocols.","version":"2.1.0"},{"name":"recon","description":"Diagnostic tools for production use","version":"2.5.2"},{"name":"sasl","description":"SASL  CXC 138 11","version":"4.2"},{"name":"seshat","description":"Counters registry","version":"0.3.2"},{"name":"ssl","description":"Erlang/OTP SSL application","version":"10.8.7"},{"name":"stdlib","description":"ERTS  CXC 138 10","version":"4.2"},{"name":"stdout_formatter","description":"Tools to format paragraphs, lists and tables as plain text","version":"0.2.4"},{"name":"syntax_tools","description":"Syntax tools","version":"3.0"},{"name":"syslog","description":"An RFC 3164 and RFC 5424 compliant logging framework.","version":"4.0.0"},{"name":"sysmon_handler","description":"Rate-limiting system_monitor event handler","version":"1.3.0"},{"name":"systemd","description":"systemd integration for Erlang applications","version":"0.6.1"},{"name":"tools","description":"DEVTOOLS  CXC 138 16","version":"3.5.3"},{"name":"xmerl","description":"XML parser","version":"1.3.30"}],"contexts":[],"log_files":["/tmp/hactl-mqt-manual/log/rabbit@localhost_upgrade.log","<stdout>"],"db_dir":"/tmp/hactl-mqt-manual/mnesia/rabbit@localhost","config_files":["/tmp/hactl-mqt-manual/rabbitmq.conf"],"net_ticktime":60,"enabled_plugins":["rabbitmq_management"],"mem_calculation_strategy":"rss","ra_open_file_metrics":{"ra_log_wal":1,"ra_log_segment_writer":0},"name":"rabbit@localhost","running":true,"type":"disc","mem_used":150073344,"mem_used_details":{"rate":0.0},"fd_used":37,"fd_used_details":{"rate":0.0},"sockets_used":0,"sockets_used_details":{"rate":0.0},"proc_used":263,"proc_used_details":{"rate":0.0},"disk_free":80457736192,"disk_free_details":{"rate":0.0},"gc_num":12467,"gc_num_details":{"rate":0.0},"gc_bytes_reclaimed":544867280,"gc_bytes_reclaimed_details":{"rate":0.0},"context_switches":279182,"context_switches_details":{"rate":0.0},"io_read_count":1,"io_read_count_details":{"rate":0.0},"io_read_bytes":1,"io_read_bytes_details":{"rate":0.0},"io_read_avg_time":0.305,"io_read_avg_time_details":{"rate":0.0},"io_write_count":0,"io_write_count_details":{"rate":0.0},"io_write_bytes":0,"io_write_bytes_details":{"rate":0.0},"io_write_avg_time":0.0,"io_write_avg_time_details":{"rate":0.0},"io_sync_count":0,"io_sync_count_details":{"rate":0.0},"io_sync_avg_time":0.0,"io_sync_avg_time_details":{"rate":0.0},"io_seek_count":0,"io_seek_count_details":{"rate":0.0},"io_seek_avg_time":0.0,"io_seek_avg_time_details":{"rate":0.0},"io_reopen_count":0,"io_reopen_count_details":{"rate":0.0},"mnesia_ram_tx_count":12,"mnesia_ram_tx_count_details":{"rate":0.0},"mnesia_disk_tx_count":12,"mnesia_disk_tx_count_details":{"rate":0.0},"msg_store_read_count":0,"msg_store_read_count_details":{"rate":0.0},"msg_store_write_count":0,"msg_store_write_count_details":{"rate":0.0},"queue_index_write_count":0,"queue_index_write_count_details":{"rate":0.0},"queue_index_read_count":0,"queue_index_read_count_details":{"rate":0.0},"connection_created":0,"connection_created_details":{"rate":0.0},"connection_closed":0,"connection_closed_details":{"rate":0.0},"channel_created":0,"channel_created_details":{"rate":0.0},"channel_closed":0,"channel_closed_details":{"rate":0.0},"queue_declared":0,"queue_declared_details":{"rate":0.0},"queue_created":0,"queue_created_details":{"rate":0.0},"queue_deleted":0,"queue_deleted_details":{"rate":0.0},"cluster_links":[],"metrics_gc_queue_length":{"connection_closed":0,"channel_closed":0,"consumer_deleted":0,"exchange_deleted":0,"queue_deleted":0,"vhost_deleted":0,"node_node_deleted":0,"channel_consumer_deleted":0}}
        """#

    /// captured: `GET /api/nodes/rabbit%40localhost?columns=...`, healthy.
    static let healthyNode = #"""
        {"partitions":[],"fd_total":20000,"sockets_total":17910,"mem_limit":10110604083,"mem_alarm":false,"disk_free_limit":50000000,"disk_free_alarm":false,"uptime":171521,"name":"rabbit@localhost","running":true,"mem_used":136212480,"fd_used":39,"sockets_used":0,"disk_free":80195932160}
        """#

    /// captured: `GET /api/nodes?columns=name,running,partitions`, single node.
    static let healthyCluster = #"""
        [{"partitions":[],"name":"rabbit@localhost","running":true}]
        """#

    /// captured: `GET /api/health/checks/local-alarms`, 200.
    static let healthyLocalAlarms = #"""
        {"status":"ok"}
        """#

    /// captured: `GET /api/health/checks/node-is-quorum-critical`, 200 (single node).
    static let healthyQuorumCritical = #"""
        {"status":"ok","reason":"single node cluster"}
        """#

    /// captured: `GET /api/health/checks/node-is-mirror-sync-critical`, 200 (single node).
    static let healthyMirrorSyncCritical = #"""
        {"status":"ok","reason":"single node cluster"}
        """#

    /// captured: node columns 5 s after `rabbitmqctl set_vm_memory_high_watermark 0.0000001`.
    static let memoryAlarmNode = #"""
        {"partitions":[],"fd_total":20000,"sockets_total":17910,"mem_limit":2527,"mem_alarm":true,"disk_free_limit":50000000,"disk_free_alarm":false,"uptime":151513,"name":"rabbit@localhost","running":true,"mem_used":136118272,"fd_used":39,"sockets_used":0,"disk_free":80195997696}
        """#

    /// captured: local-alarms during the memory alarm, HTTP 503.
    static let memoryAlarmLocalAlarms = #"""
        {"alarms":[{"node":"rabbit@localhost","resource":"memory"}],"reason":"There are alarms in effect on the node","status":"failed"}
        """#

    /// captured: node columns after `rabbitmqctl set_disk_free_limit 100000000000000`.
    static let diskAlarmNode = #"""
        {"partitions":[],"fd_total":20000,"sockets_total":17910,"mem_limit":10110604083,"mem_alarm":false,"disk_free_limit":100000000000000,"disk_free_alarm":true,"uptime":161517,"name":"rabbit@localhost","running":true,"mem_used":136130560,"fd_used":39,"sockets_used":0,"disk_free":80195948544}
        """#

    /// captured: local-alarms during the disk alarm, HTTP 503.
    static let diskAlarmLocalAlarms = #"""
        {"alarms":[{"node":"rabbit@localhost","resource":"disk space"}],"reason":"There are alarms in effect on the node","status":"failed"}
        """#

    /// captured: any endpoint with a wrong password, HTTP 401.
    static let unauthorized = #"""
        {"error":"not_authorized","reason":"Login failed"}
        """#

    /// DERIVED: hand-edited from `healthyNode`: node `rabbit@ctl3`, partitions `rabbit@ctl1`, `rabbit@ctl2`.
    static let partitionedNode = #"""
        {"partitions":["rabbit@ctl1","rabbit@ctl2"],"fd_total":20000,"sockets_total":17910,"mem_limit":10110604083,"mem_alarm":false,"disk_free_limit":50000000,"disk_free_alarm":false,"uptime":171521,"name":"rabbit@ctl3","running":true,"mem_used":136212480,"fd_used":39,"sockets_used":0,"disk_free":80195932160}
        """#

    /// DERIVED: hand-edited from `healthyNode`: `running: false` and no figures, as 3.10 reports a stopped cluster peer.
    static let notRunningNode = #"""
        {"partitions":[],"name":"rabbit@localhost","running":false}
        """#

    /// DERIVED: the 503 body of node-is-quorum-critical, built from 3.10's rabbit_mgmt_wm_health_check_node_is_quorum_critical (status, reason, queues).
    static let quorumCriticalFailed = #"""
        {"status":"failed","reason":"There are quorum queues that would lose their quorum if the target node is shut down","queues":[{"readable_name":"queue 'nova' in vhost '/'","name":"nova","virtual_host":"/","type":"quorum"}]}
        """#

    /// DERIVED: the 503 body of node-is-mirror-sync-critical, from 3.10's module of that name.
    static let mirrorSyncCriticalFailed = #"""
        {"status":"failed","reason":"There are classic mirrored queues without online synchronised mirrors","queues":[{"readable_name":"queue 'notifications.info' in vhost '/'","name":"notifications.info","virtual_host":"/","type":"classic"}]}
        """#

    /// DERIVED: `/api/nodes?columns=...` for three nodes: ctl3 and ctl1 partitioned, ctl2 down.
    static let partitionedCluster = #"""
        [{"partitions":["rabbit@ctl1","rabbit@ctl2"],"name":"rabbit@ctl3","running":true},{"partitions":["rabbit@ctl3"],"name":"rabbit@ctl1","running":true},{"partitions":[],"name":"rabbit@ctl2","running":false}]
        """#
}
