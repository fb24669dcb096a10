import Hummingbird
import NIOCore

/// One-line plain-text answers, the form HAProxy's `option httpchk` and operators' curl expect.
enum PlainText {
    static func response(_ status: HTTPResponse.Status, _ line: String, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: line + "\n")))
    }

    static func health(_ ok: Bool, _ reason: String) -> Response {
        ok ? response(.ok, reason.isEmpty ? "ok" : reason) : response(.serviceUnavailable, reason)
    }
}
