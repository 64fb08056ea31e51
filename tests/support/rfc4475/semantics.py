"""RFC 4475 sections 3.2, 3.3 and 3.4: transaction layer, application layer semantics and backward
compatibility. Section 3.2 holds one single-message test (3.2.1); the rest of it is about timing.

Each message as the RFC prints it (the notation is explained in vector.py); the digest is
the SHA-256 of the message file of the RFC's appendix A archive."""

from tests.support.rfc4475.vector import Expect, Vector

VECTORS = [
    Vector("3.2.1", "Missing Transaction Identifier", "badbranch", Expect.ANSWER,
        "processed as an RFC 2543 request (the branch is only the magic cookie)",
        "cb049c727f16b5ec49e822f9e8b7d0ee20ca2d20ffb50baecd0b411a5e64fa7d",
        text=r"""
OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: sip:caller@example.org;tag=33242
Max-Forwards: 3
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK
Accept: application/sdp
Call-ID: badbranch.sadonfo23i420jv0as0derf3j3n
CSeq: 8 OPTIONS
l: 0

"""),
    Vector("3.3.1", "Missing Required Header Fields", "insuf", Expect.REJECT,
        "400 Bad Request",
        "1e3efd9f3b238c6351ba12bc7eb46d843f2761b5d4a6b82b63bffdf07f2c5aee",
        text=r"""
INVITE sip:user@example.com SIP/2.0
CSeq: 193942 INVITE
Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf
Content-Type: application/sdp
l: 152

v=0
o=mhandley 29739 7272939 IN IP4 192.0.2.95
s=-
c=IN IP4 192.0.2.95
t=0 0
m=audio 49217 RTP/AVP 0 12
m=video 3227 RTP/AVP 31
a=rtpmap:31 LPC
"""),
    Vector("3.3.2", "Request-URI with Unknown Scheme", "unkscm", Expect.REJECT,
        "416 Unsupported URI Scheme",
        "81be1a6a566c7ab52fe1c58c4a75440dfd697ad04c5e09fa71340de7da7b8bbb",
        text=r"""
OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=384
Max-Forwards: 3
Call-ID: unkscm.nasdfasser0q239nwsdfasdkl34
CSeq: 3923423 OPTIONS
Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuw39234
Content-Length: 0

"""),
    Vector("3.3.3", "Request-URI with Known but Atypical Scheme", "novelsc", Expect.ANSWER,
        "416 Unsupported URI Scheme unless the element knows soap.beep",
        "9a50a7343fcf685e77c4d0f477138a28f32a41c75aa566d200f3df210b01e648",
        text=r"""
OPTIONS soap.beep://192.0.2.103:3002 SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=384
Max-Forwards: 3
Call-ID: novelsc.asdfasser0q239nwsdfasdkl34
CSeq: 3923423 OPTIONS
Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuw39234
Content-Length: 0

"""),
    Vector("3.3.4", "Unknown URI Schemes in Header Fields", "unksm2", Expect.ANSWER,
        "processed: a registrar answers (the unknown To is its own business)",
        "f6914409ced613ef5eb56e264d2f096dac26ab9e397d6a638934d2027f1f6acb",
        text=r"""
REGISTER sip:example.com SIP/2.0
To: isbn:2983792873
From: <http://www.example.com>;tag=3234233
Call-ID: unksm2.daksdj@hyphenated-host.example.com
CSeq: 234902 REGISTER
Max-Forwards: 70
Via: SIP/2.0/UDP 192.0.2.21:5060;branch=z9hG4bKkdjuw
Contact: <name:John_Smith>
l: 0

"""),
    Vector("3.3.5", "Proxy-Require and Require", "bext01", Expect.ANSWER,
        "420 Bad Extension listing the unsupported option tags",
        "57181987c02c4f5752b7aa8c2847311f6184216ce7621e40303015949e70761c",
        text=r"""
OPTIONS sip:user@example.com SIP/2.0
To: sip:j_user@example.com
From: sip:caller@example.net;tag=242etr
Max-Forwards: 6
Call-ID: bext01.0ha0isndaksdj
Require: nothingSupportsThis, nothingSupportsThisEither
Proxy-Require: noProxiesSupportThis, norDoAnyProxiesSupportThis
CSeq: 8 OPTIONS
Via: SIP/2.0/TLS fold-and-staple.example.com;branch=z9hG4bKkdjuw
Content-Length: 0

"""),
    Vector("3.3.6", "Unknown Content-Type", "invut", Expect.ANSWER,
        "415 Unsupported Media Type",
        "9b39e824947df46f90f824cd308fb3c118f548d94637f581101e355b381a0d92",
        text=r"""
INVITE sip:user@example.com SIP/2.0
Contact: <sip:caller@host5.example.net>
To: sip:j.user@example.com
From: sip:caller@example.net;tag=8392034
Max-Forwards: 70
Call-ID: invut.0ha0isndaksdjadsfij34n23d
CSeq: 235448 INVITE
Via: SIP/2.0/UDP somehost.example.com;branch=z9hG4bKkdjuw
Content-Type: application/unknownformat
Content-Length: 40

<audio>
 <pcmu port="443"/>
</audio>
"""),
    Vector("3.3.7", "Unknown Authorization Scheme", "regaut01", Expect.ANSWER,
        "401 Unauthorized with a challenge the registrar knows",
        "885ba0488872cfc04a3c7622854b8381955a5ee890745d6010834e3731a73faa",
        text=r"""
REGISTER sip:example.com SIP/2.0
To: sip:j.user@example.com
From: sip:j.user@example.com;tag=87321hj23128
Max-Forwards: 8
Call-ID: regaut01.0ha0isndaksdj
CSeq: 9338 REGISTER
Via: SIP/2.0/TCP 192.0.2.253;branch=z9hG4bKkdjuw
Authorization: NoOneKnowsThisScheme opaque-data=here
Content-Length:0

"""),
    Vector("3.3.8", "Multiple Values in Single Value Required Fields", "multi01", Expect.REJECT,
        "400 Bad Request",
        "d156ab12105b4bfd8a6498de6f7195087058162b8cda1606169855b722411791",
        text=r"""
INVITE sip:user@company.com SIP/2.0
Contact: <sip:caller@host25.example.net>
Via: SIP/2.0/UDP 192.0.2.25;branch=z9hG4bKkdjuw
Max-Forwards: 70
CSeq: 5 INVITE
Call-ID: multi01.98asdh@192.0.2.1
CSeq: 59 INVITE
Call-ID: multi01.98asdh@192.0.2.2
From: sip:caller@example.com;tag=3413415
To: sip:user@example.com
To: sip:other@example.net
From: sip:caller@example.net;tag=2923420123
Content-Type: application/sdp
l: 154
Contact: <sip:caller@host36.example.net>
Max-Forwards: 5

v=0
o=mhandley 29739 7272939 IN IP4 192.0.2.25
s=-
c=IN IP4 192.0.2.25
t=0 0
m=audio 49217 RTP/AVP 0 12
m=video 3227 RTP/AVP 31
a=rtpmap:31 LPC

"""),
    Vector("3.3.9", "Multiple Content-Length Values", "mcl01", Expect.REJECT,
        "400 Bad Request",
        "887191619bf003b7e87399200b5cf4c3b5397344dbf70288ad5e23bd157b7fe4",
        text=r"""
OPTIONS sip:user@example.com SIP/2.0
Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bK293423
To: sip:user@example.com
From: sip:other@example.net;tag=3923942
Call-ID: mcl01.fhn2323orihawfdoa3o4r52o3irsdf
CSeq: 15932 OPTIONS
Content-Length: 13
Max-Forwards: 60
Content-Length: 5
Content-Type: text/plain

There's no way to know how many octets are supposed to be here.

"""),
    Vector("3.3.10", "200 OK Response with Broadcast Via Header Field Value", "bcast", Expect.IGNORE,
        "dropped; never forwarded to the broadcast address of the second Via",
        "073637c63597199179cf5fc91b980b2d530c066a0048ea3b908772def57b4c36",
        text=r"""
SIP/2.0 200 OK
Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923
Via: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1saber23
Call-ID: bcast.0384840201234ksdfak3j2erwedfsASdf
CSeq: 35 INVITE
From: sip:user@example.com;tag=11141343
To: sip:user@example.edu;tag=2229
Content-Length: 154
Content-Type: application/sdp
Contact: <sip:user@host28.example.com>

v=0
o=mhandley 29739 7272939 IN IP4 192.0.2.198
s=-
c=IN IP4 192.0.2.198
t=0 0
m=audio 49217 RTP/AVP 0 12
m=video 3227 RTP/AVP 31
a=rtpmap:31 LPC
"""),
    Vector("3.3.11", "Max-Forwards of Zero", "zeromf", Expect.ANSWER,
        "a proxy answers 483 Too Many Hops, an endpoint processes it",
        "50954ef47acca4f9f5263ded06246d06dee4e2ee508a8d284191795d7fddf365",
        text=r"""
OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=3ghsd41
Call-ID: zeromf.jfasdlfnm2o2l43r5u0asdfas
CSeq: 39234321 OPTIONS
Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw2349i
Max-Forwards: 0
Content-Length: 0

"""),
    Vector("3.3.12", "REGISTER with a Contact Header Parameter", "cparam01", Expect.ANSWER,
        "processed (the parameter belongs to the Contact header, not to its URI)",
        "dfa6b5cdb289adc694b9b7e103ebfa7a2167335c46e5dc9de67055021910ae1c",
        text=r"""
REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/UDP saturn.example.com:5060;branch=z9hG4bKkdjuw
Max-Forwards: 70
From: sip:watson@example.com;tag=DkfVgjkrtMwaerKKpe
To: sip:watson@example.com
Call-ID: cparam01.70710@saturn.example.com
CSeq: 2 REGISTER
Contact: sip:+19725552222@gw1.example.net;unknownparam
l: 0

"""),
    Vector("3.3.13", "REGISTER with a url-parameter", "cparam02", Expect.ANSWER,
        "processed (the parameter belongs to the URI)",
        "e93574215bd1d804bb46cc15ca6176b567def7ea1b15f72ab2c2dcf598af465a",
        text=r"""
REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/UDP saturn.example.com:5060;branch=z9hG4bKkdjuw
Max-Forwards: 70
From: sip:watson@example.com;tag=838293
To: sip:watson@example.com
Call-ID: cparam02.70710@saturn.example.com
CSeq: 3 REGISTER
Contact: <sip:+19725552222@gw1.example.net;unknownparam>
l: 0

"""),
    Vector("3.3.14", "REGISTER with a URL Escaped Header", "regescrt", Expect.ANSWER,
        "processed; the escaped Route stays in the registered contact",
        "dab4087c133348b06fd7b3c4c7ef15094f8754e265e4e8c2137bb3ecda2ef477",
        text=r"""
REGISTER sip:example.com SIP/2.0
To: sip:user@example.com
From: sip:user@example.com;tag=8
Max-Forwards: 70
Call-ID: regescrt.k345asrl3fdbv@192.0.2.1
CSeq: 14398234 REGISTER
Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw
M: <sip:user@example.com?Route=%3Csip:sip.example.com%3E>
L:0

"""),
    Vector("3.3.15", "Unacceptable Accept Offering", "sdp01", Expect.ANSWER,
        "406 Not Acceptable, or processed",
        "497c5f1ced6c7b579b48075e2dca919ce9b819a735964128a6e744a3a0b9e57f",
        text=r"""
INVITE sip:user@example.com SIP/2.0
To: sip:j_user@example.com
Contact: <sip:caller@host15.example.net>
From: sip:caller@example.net;tag=234
Max-Forwards: 5
Call-ID: sdp01.ndaksdj9342dasdd
Accept: text/nobodyKnowsThis
CSeq: 8 INVITE
Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw
Content-Length: 150
Content-Type: application/sdp

v=0
o=mhandley 29739 7272939 IN IP4 192.0.2.5
s=-
c=IN IP4 192.0.2.5
t=0 0
m=audio 49217 RTP/AVP 0 12
m=video 3227 RTP/AVP 31
a=rtpmap:31 LPC
"""),
    Vector("3.4.1", "INVITE with RFC 2543 Syntax", "inv2543", Expect.ANSWER,
        "processed as an RFC 2543 INVITE",
        "76fac8afe22dee49ea696b511621946694897ac7030fc5d07f57c8b487ce0521",
        tcp=Expect.MAY_DROP,   # no Content-Length: a stream cannot be framed (RFC 3261 18.3)
        text=r"""
INVITE sip:UserB@example.com SIP/2.0
Via: SIP/2.0/UDP iftgw.example.com
From: <sip:+13035551111@ift.client.example.net;user=phone>
Record-Route: <sip:UserB@example.com;maddr=ss1.example.com>
To: sip:+16505552222@ss1.example.net;user=phone
Call-ID: inv2543.1717@ift.client.example.com
CSeq: 56 INVITE
Content-Type: application/sdp

v=0
o=mhandley 29739 7272939 IN IP4 192.0.2.5
s=-
c=IN IP4 192.0.2.5
t=0 0
m=audio 49217 RTP/AVP 0
"""),
]
