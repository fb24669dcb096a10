import CCurl

/// `curl_global_init` is not thread-safe with respect to other curl calls; a global's lazy
/// initialiser runs exactly once, under the runtime's once-lock, before the first session exists.
private let curlGlobalInit: CURLcode = hactl_curl_global_init()

/// A curl multi handle with one easy handle, reused for transfer after transfer so connections
/// (keep-alive), the DNS cache and TLS sessions survive between requests.
///
/// The multi interface rather than `curl_easy_perform`: `curl_multi_wakeup` lets another thread
/// interrupt the wait at once, so a cancelled transfer frees its worker thread immediately instead
/// of at curl's next progress tick (up to a second when the peer is silent).
///
/// `@unchecked Sendable` invariant: `easy`, `multi`'s transfer state and the buffers are touched only
/// by the worker thread that checked the session out of `HTTPClient`'s idle list (the list's
/// mutex orders successive owners). Other threads call only `wakeup()`, which curl documents as
/// callable from any thread, and the handles are freed in `deinit`, when no thread holds a reference.
final class CurlSession: @unchecked Sendable {
    private let multi: UnsafeMutableRawPointer
    private let easy: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// A valid empty C string for zero-length bodies: a NULL CURLOPT_POSTFIELDS would make curl
    /// read the body from its default read callback (stdin).
    private let emptyBody: UnsafeMutablePointer<UInt8>

    init() throws(HTTPClientError) {
        guard curlGlobalInit == CURLE_OK else {
            throw .transfer(curlCode: curlGlobalInit.int32, message: "curl_global_init failed")
        }
        guard let multi = curl_multi_init() else {
            throw .transfer(curlCode: CURLE_OUT_OF_MEMORY.int32, message: "curl_multi_init failed")
        }
        guard let easy = curl_easy_init() else {
            curl_multi_cleanup(multi)
            throw .transfer(curlCode: CURLE_OUT_OF_MEMORY.int32, message: "curl_easy_init failed")
        }
        self.multi = multi
        self.easy = easy
        errorBuffer = .allocate(capacity: Int(hactl_curl_error_size))
        emptyBody = .allocate(capacity: 1)
        emptyBody.initialize(to: 0)
    }

    deinit {
        curl_easy_cleanup(easy)
        curl_multi_cleanup(multi)
        errorBuffer.deallocate()
        emptyBody.deallocate()
    }

    /// Interrupts `curl_multi_poll` in `perform`, from any thread.
    func wakeup() {
        _ = curl_multi_wakeup(multi)
    }

    /// Runs `transfer` to completion on the calling (worker) thread. Returns early, within one
    /// wake-up, once `transfer` is aborted.
    func perform(_ transfer: HTTPTransfer) -> HTTPTransfer.Outcome {
        let request = transfer.request
        let remaining = transfer.deadline - .now
        guard remaining > .zero else {
            return .failure(.timedOut(after: request.timeout))
        }
        let collector = ResponseCollector(transfer: transfer, limit: request.maxResponseBytes)
        let collectorPointer = Unmanaged.passUnretained(collector).toOpaque()
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }

        return withExtendedLifetime(collector) {
            request.body.withUnsafeBufferPointer { body in
                do throws(HTTPClientError) {
                    curl_easy_reset(easy)
                    errorBuffer[0] = 0
                    try configure(request, remaining: remaining, body: body)
                    try configureCallbacks(collectorPointer)
                    headerList = try makeHeaderList(request)
                    try setPointer(CURLOPT_HTTPHEADER, headerList)
                    let code = try run(transfer)
                    return outcome(code, transfer: transfer, collector: collector)
                } catch {
                    return .failure(error)
                }
            }
        }
    }

    // MARK: - Options

    private func configure(
        _ request: HTTPRequest, remaining: Duration, body: UnsafeBufferPointer<UInt8>
    ) throws(HTTPClientError) {
        try setPointer(CURLOPT_ERRORBUFFER, errorBuffer)
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_URL, request.url)
        try set(CURLOPT_PROTOCOLS_STR, "http,https")
        try set(CURLOPT_FOLLOWLOCATION, 0)
        // Operators often export http_proxy for package downloads; agent traffic must never take it.
        try set(CURLOPT_PROXY, "")
        try set(CURLOPT_NOPROXY, "*")
        try set(CURLOPT_TIMEOUT_MS, Int(remaining.milliseconds))
        try set(CURLOPT_CONNECTTIMEOUT_MS, Int(min(request.connectTimeout, remaining).milliseconds))
        guard hactl_curl_setopt_off(easy, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(request.maxResponseBytes))
            == CURLE_OK
        else { throw .invalidRequest("maxResponseBytes rejected by curl") }
        if let auth = request.basicAuth {
            try set(CURLOPT_HTTPAUTH, hactl_curlauth_basic)
            try set(CURLOPT_USERNAME, auth.user)
            try set(CURLOPT_PASSWORD, auth.password)
        }
        try configureMethod(request, body: body)
    }

    private func configureMethod(_ request: HTTPRequest, body: UnsafeBufferPointer<UInt8>) throws(HTTPClientError) {
        switch (request.method, body.isEmpty) {
        case ("GET", true):
            try set(CURLOPT_HTTPGET, 1)
        case ("HEAD", true):
            try set(CURLOPT_NOBODY, 1)
        default:
            guard hactl_curl_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)) == CURLE_OK
            else { throw .invalidRequest("body size rejected by curl") }
            try setPointer(CURLOPT_POSTFIELDS, body.baseAddress ?? UnsafePointer(emptyBody))
            if request.method != "POST" {
                try set(CURLOPT_CUSTOMREQUEST, request.method)
            }
        }
    }

    private func configureCallbacks(_ collector: UnsafeMutableRawPointer) throws(HTTPClientError) {
        try check(hactl_curl_setopt_write_function(easy, curlWriteCallback), CURLOPT_WRITEFUNCTION)
        try setPointer(CURLOPT_WRITEDATA, collector)
        try check(hactl_curl_setopt_header_function(easy, curlHeaderCallback), CURLOPT_HEADERFUNCTION)
        try setPointer(CURLOPT_HEADERDATA, collector)
        try check(hactl_curl_setopt_xferinfo_function(easy, curlXferInfoCallback), CURLOPT_XFERINFOFUNCTION)
        try setPointer(CURLOPT_XFERINFODATA, collector)
        try set(CURLOPT_NOPROGRESS, 0)
    }

    private func makeHeaderList(_ request: HTTPRequest) throws(HTTPClientError) -> UnsafeMutablePointer<curl_slist>? {
        var lines = request.headers.map { header in
            // "Name;" is curl's syntax for a header with an empty value; "Name:" would remove it.
            header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)"
        }
        // curl waits up to a second for "100 Continue" before sending a body over 1 KiB.
        lines.append("Expect:")
        let names = Set(request.headers.map { $0.name.lowercased() })
        if !names.contains("content-type") {
            // Otherwise curl labels every body application/x-www-form-urlencoded.
            lines.append("Content-Type:")
        }
        var list: UnsafeMutablePointer<curl_slist>?
        for line in lines {
            guard let extended = curl_slist_append(list, line) else {
                curl_slist_free_all(list)
                throw .transfer(curlCode: CURLE_OUT_OF_MEMORY.int32, message: "curl_slist_append failed")
            }
            list = extended
        }
        return list
    }

    private func set(_ option: CURLoption, _ value: Int) throws(HTTPClientError) {
        try check(hactl_curl_setopt_long(easy, option, value), option)
    }

    private func set(_ option: CURLoption, _ value: String) throws(HTTPClientError) {
        try check(hactl_curl_setopt_str(easy, option, value), option)
    }

    private func setPointer(_ option: CURLoption, _ value: UnsafeRawPointer?) throws(HTTPClientError) {
        try check(hactl_curl_setopt_ptr(easy, option, value), option)
    }

    private func check(_ code: CURLcode, _ option: CURLoption) throws(HTTPClientError) {
        guard code == CURLE_OK else {
            throw .transfer(curlCode: code.int32, message: "setting curl option \(option.rawValue): \(code.text)")
        }
    }

    // MARK: - Running

    /// Drives the multi handle until the transfer is done or aborted from outside.
    private func run(_ transfer: HTTPTransfer) throws(HTTPClientError) -> CURLcode? {
        let added = curl_multi_add_handle(multi, easy)
        guard added == CURLM_OK else { throw multiError(added) }
        transfer.attach(self)
        defer {
            transfer.attach(nil)
            curl_multi_remove_handle(multi, easy)
        }
        while transfer.abortReason == .none {
            var running: Int32 = 0
            let performed = curl_multi_perform(multi, &running)
            guard performed == CURLM_OK else { throw multiError(performed) }
            if let code = finishedCode() { return code }
            guard running > 0 else {
                throw .transfer(curlCode: CURLE_SEND_ERROR.int32, message: "curl stopped without a result")
            }
            // curl shortens the wait to its own next timer; 1 s only bounds a misbehaving one.
            let polled = curl_multi_poll(multi, nil, 0, 1000, nil)
            guard polled == CURLM_OK else { throw multiError(polled) }
        }
        return nil
    }

    private func finishedCode() -> CURLcode? {
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            if message.pointee.msg == CURLMSG_DONE {
                return message.pointee.data.result
            }
        }
        return nil
    }

    private func multiError(_ code: CURLMcode) -> HTTPClientError {
        .transfer(curlCode: code.rawValue, message: String(cString: curl_multi_strerror(code)))
    }

    // MARK: - Result

    private func outcome(_ code: CURLcode?, transfer: HTTPTransfer, collector: ResponseCollector) -> HTTPTransfer.Outcome {
        let request = transfer.request
        guard let code, transfer.abortReason == .none else {
            return .failure(HTTPTransfer.error(for: transfer.abortReason, request: request))
        }
        switch code {
        case CURLE_OK:
            var status = 0
            _ = hactl_curl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
            return .success(HTTPResponse(status: status, headers: collector.headers, body: collector.body))
        case CURLE_FILESIZE_EXCEEDED:
            return .failure(.responseTooLarge(limit: request.maxResponseBytes))
        case CURLE_WRITE_ERROR where collector.exceededLimit:
            return .failure(.responseTooLarge(limit: request.maxResponseBytes))
        case CURLE_OPERATION_TIMEDOUT:
            return .failure(.timedOut(after: connected ? request.timeout : min(request.connectTimeout, request.timeout)))
        case CURLE_ABORTED_BY_CALLBACK:
            return .failure(HTTPTransfer.error(for: transfer.abortReason, request: request))
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT,
             CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE,
             CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER:
            return .failure(.connect(curlCode: code.int32, message: message(for: code, request)))
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return .failure(.invalidRequest(message(for: code, request)))
        default:
            return .failure(.transfer(curlCode: code.int32, message: message(for: code, request)))
        }
    }

    /// Whether the last transfer got as far as a connection (curl reports 0 µs when it did not).
    private var connected: Bool {
        var micros: curl_off_t = 0
        _ = hactl_curl_getinfo_off(easy, CURLINFO_CONNECT_TIME_T, &micros)
        return micros > 0
    }

    /// curl's detailed message, else its generic one, with the password taken out in case curl
    /// ever echoes it.
    private func message(for code: CURLcode, _ request: HTTPRequest) -> String {
        var text = errorBuffer[0] == 0 ? code.text : String(cString: errorBuffer)
        if let password = request.basicAuth?.password, !password.isEmpty {
            text = text.replacing(password, with: "<redacted>")
        }
        return text
    }
}

extension CURLcode {
    var int32: Int32 { Int32(bitPattern: rawValue) }
    var text: String { String(cString: curl_easy_strerror(self)) }
}
