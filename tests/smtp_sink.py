"""A real SMTP server for the end-to-end tests and the benchmark: aiosmtpd with a handler
that records what it receives. It runs as a process of its own:

    SMTP_SINK_DIR=/tmp/mail python -m aiosmtpd -n -l 127.0.0.1:8025 -c tests.smtp_sink.Sink

Configured by environment variables, all optional:

- ``SMTP_SINK_DIR``: each accepted message is written there as ``NNNNNN.eml``, exactly as
  received (written under a temporary name, then renamed, so a reader never sees half a
  message). Unset: messages are counted and discarded.
- ``SMTP_SINK_LOG``: a file of JSON lines, one per event: ``ehlo``, ``mail``, ``data``
  (the message was received and is about to be answered), ``stall``, ``abandoned`` (the
  client hung up before the answer), ``stored``, ``refused`` (a recipient, see below),
  ``deferred`` (a 451 to DATA, see below), ``hung_up`` (the server hung up, see below).
  The events of a message carry its ``message_id``.
- ``SMTP_SINK_COUNT_FILE``: holds the number of messages accepted so far.
- ``SMTP_SINK_STALL_FILE``: while this file exists, the answer to DATA waits, for at most
  the number of seconds written in the file (20 if it is empty): a slow server, to kill
  the sender in the middle of a delivery. Removing the file ends the stall.
- ``SMTP_SINK_REFUSE``: recipients (or senders) to refuse and the reply code, such as
  ``greylisted@example.org=450,gone@example.org=550``.
- ``SMTP_SINK_DATA_451_EVERY``: N: every Nth new message is answered
  ``451 4.3.0 Try again later`` after its DATA (event ``deferred``), as a greylisting
  relay does. A message is told by its Message-ID: one deferred once is accepted when it
  comes again, and only messages never deferred are counted, so N=5 defers exactly one
  message in five, once each.
- ``SMTP_SINK_DELAY``: seconds to wait before answering each DATA (a slow relay).
- ``SMTP_SINK_PIPELINING``: ``0`` to leave PIPELINING (RFC 2920) out of the EHLO reply.
  It is offered otherwise: aiosmtpd reads each command from a buffered stream and
  answers them in order, so commands sent before their replies are handled as a
  pipelining server must (aiosmtpd itself does not advertise it).
- ``SMTP_SINK_HANG_UP``: recipients for whom the server closes the connection without a
  reply, and when: ``gone@example.org=rcpt`` (at their RCPT TO) or ``=data`` (once their
  message is received, instead of answering it), as a relay that crashes or drops a
  connection does. A message hung up on is not stored.

A message counts as accepted, and is stored, only when the server answers ``250`` to its
DATA, as with any SMTP server: a client that hangs up before that answer (aiosmtpd then
cancels the handler) has not delivered it.
"""

import asyncio
import json
import os
import re
import time
from pathlib import Path


class Sink:
    def __init__(self) -> None:
        directory = os.environ.get("SMTP_SINK_DIR")
        self.directory = Path(directory) if directory else None
        if self.directory:
            self.directory.mkdir(parents=True, exist_ok=True)
        log = os.environ.get("SMTP_SINK_LOG")
        self.log = Path(log) if log else None
        count = os.environ.get("SMTP_SINK_COUNT_FILE")
        self.count_file = Path(count) if count else None
        stall = os.environ.get("SMTP_SINK_STALL_FILE")
        self.stall_file = Path(stall) if stall else None
        refuse = os.environ.get("SMTP_SINK_REFUSE", "")
        self.refuse = {address: int(code) for address, code in (item.split("=") for item in refuse.split(",") if item)}
        self.defer_every = int(os.environ.get("SMTP_SINK_DATA_451_EVERY") or 0)
        self.delay = float(os.environ.get("SMTP_SINK_DELAY") or 0)
        self.pipelining = os.environ.get("SMTP_SINK_PIPELINING", "1") != "0"
        hang_up = os.environ.get("SMTP_SINK_HANG_UP", "")
        self.hang_up = dict(item.split("=") for item in hang_up.split(",") if item)
        self.new_messages = 0  # messages never deferred, counted for SMTP_SINK_DATA_451_EVERY
        self.deferred: set[str] = set()
        self.accepted = 0
        self.event("started", pid=os.getpid())

    def event(self, name: str, **details) -> None:
        if self.log:
            with self.log.open("a") as out:
                out.write(json.dumps({"event": name, "at": time.time(), **details}) + "\n")

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.event("ehlo", peer=list(session.peer), hostname=hostname)
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")  # before the last line, "250 HELP"
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if code := self.refuse.get(address):
            self.event("refused", peer=list(session.peer), mail_from=address, code=code)
            return f"{code} {'4.3.0 Try again later' if code < 500 else '5.7.1 Sender refused'}"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        self.event("mail", peer=list(session.peer), mail_from=address)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.hang_up.get(address) == "rcpt":
            await self.drop(server, "rcpt", peer=list(session.peer), to=address)
        if code := self.refuse.get(address):
            self.event("refused", peer=list(session.peer), to=address, code=code)
            return f"{code} {'4.2.0 Greylisted, try again later' if code < 500 else '5.1.1 No such user'}"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message_id = self.message_id(envelope.original_content or envelope.content)
        seen = {"peer": list(session.peer), "to": envelope.rcpt_tos, "message_id": message_id}
        self.event("data", size=len(envelope.content), **seen)
        try:
            await self.stall()
            if self.delay:
                await asyncio.sleep(self.delay)
        except asyncio.CancelledError:
            self.event("abandoned", **seen)
            raise
        if any(self.hang_up.get(address) == "data" for address in envelope.rcpt_tos):
            await self.drop(server, "data", **seen)
        if self.defer_every and message_id not in self.deferred:
            self.new_messages += 1
            if self.new_messages % self.defer_every == 0:
                self.deferred.add(message_id)
                self.event("deferred", code=451, **seen)
                return "451 4.3.0 Try again later"
        self.accepted += 1
        if self.directory:
            name = self.directory / f"{self.accepted:06}.eml"
            partial = name.with_suffix(".part")
            partial.write_bytes(envelope.original_content or envelope.content)
            partial.rename(name)
        if self.count_file:
            self.count_file.write_text(str(self.accepted))
        self.event("stored", number=self.accepted, **seen)
        return "250 Message accepted for delivery"

    async def drop(self, server, step: str, **seen) -> None:
        """Close the connection without a reply; the handler is cancelled with it."""
        self.event("hung_up", step=step, **seen)
        server.transport.close()
        await asyncio.sleep(3600)  # cancelled when the connection is lost

    @staticmethod
    def message_id(content: bytes | str) -> str:
        """The Message-ID header of a message as received ("" if it has none)."""
        if isinstance(content, str):
            content = content.encode()
        head = content.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        found = re.search(rb"^Message-ID:[ \t]*(?:\r?\n[ \t]+)?(\S+)", head, re.IGNORECASE | re.MULTILINE)
        return found[1].decode(errors="replace") if found else ""

    async def stall(self) -> None:
        if not self.stall_file or not self.stall_file.exists():
            return
        text = self.stall_file.read_text().strip()
        deadline = time.monotonic() + (float(text) if text else 20.0)
        self.event("stall", until=deadline - time.monotonic())
        while self.stall_file.exists() and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
