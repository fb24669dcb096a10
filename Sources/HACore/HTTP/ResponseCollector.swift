import CCurl

/// What curl's callbacks write into during one transfer. Lives on the worker thread only: curl
/// calls the callbacks from inside `curl_multi_perform`.
final class ResponseCollector {
    let transfer: HTTPTransfer
    let limit: Int
    private(set) var body: [UInt8] = []
    private(set) var headers: [HTTPHeader] = []
    private(set) var exceededLimit = false

    init(transfer: HTTPTransfer, limit: Int) {
        self.transfer = transfer
        self.limit = limit
    }

    /// Returns false to make curl stop the transfer.
    func appendBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard body.count + bytes.count <= limit else {
            exceededLimit = true
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }

    /// One raw header line, CRLF included, as curl delivers it.
    func appendHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        var line = Substring(String(decoding: bytes, as: UTF8.self))
        while let last = line.last, last == "\r\n" || last == "\n" || last == "\r" { line.removeLast() }
        if line.hasPrefix("HTTP/") {
            // A new status line: an interim (1xx) response's headers are not the final ones.
            headers.removeAll()
            return
        }
        guard let first = line.first else { return }
        if first == " " || first == "\t" {
            // obs-fold continuation of the previous field.
            if !headers.isEmpty {
                headers[headers.count - 1].value += " " + line.trimmingBlanks
            }
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        headers.append(HTTPHeader(
            name: String(line[..<colon]),
            value: String(line[line.index(after: colon)...].trimmingBlanks)))
    }

    var shouldAbort: Bool { transfer.abortReason != .none }
}

extension Substring {
    fileprivate var trimmingBlanks: Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}

private func collector(_ userdata: UnsafeMutableRawPointer?) -> ResponseCollector {
    Unmanaged<ResponseCollector>.fromOpaque(userdata!).takeUnretainedValue()
}

let curlWriteCallback: hactl_curl_data_callback = { data, size, count, userdata in
    let length = size * count
    let accepted = collector(userdata).appendBody(UnsafeRawBufferPointer(start: data, count: length))
    return accepted ? length : hactl_curl_write_abort
}

let curlHeaderCallback: hactl_curl_data_callback = { data, size, count, userdata in
    let length = size * count
    collector(userdata).appendHeaderLine(UnsafeRawBufferPointer(start: data, count: length))
    return length
}

/// Non-zero makes curl abort with CURLE_ABORTED_BY_CALLBACK: the in-transfer check for
/// cancellation, next to the one `CurlSession.run` makes between waits.
let curlXferInfoCallback: hactl_curl_xferinfo_callback = { userdata, _, _, _, _ in
    collector(userdata).shouldAbort ? 1 : 0
}
