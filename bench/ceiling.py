#!/usr/bin/env python3
"""Turns the SQL of one real enrolment, as PostgreSQL logged it, into a pgbench
script that runs exactly those statements, in that order, in one transaction.

    ceiling.py CAPTURE.log SESSIONS > enrol.sql

CAPTURE.log holds the enrolments database's statement log (log_statement=all)
of one Enrol call: BEGIN ... COMMIT (and an idempotency look-up before it, if
the service makes one). Each logged
statement gets its logged parameters back as literals; then what must differ
per transaction becomes a pgbench variable:

- the trainee (`x-0` in the capture) and the request id (`bench-0`): from :n,
  a random number per transaction;
- the enrolment and history ids: uuids made from :n;
- the session: one of SESSIONS ids made from :s (1 = the hot case, one row
  that every transaction updates; many = the spread case);
- the session's capacity: a billion, so every transaction takes a seat, as
  the measured service runs do (their sessions never fill).

Everything else (the other literals, the stored answer's bytes) is sent as
captured.
"""

import re
import sys

PARAM = re.compile(r"\$(\d+) = ('(?:[^']|'')*'|NULL)")
LINE = re.compile(r"\[(\d+)\] .*?(LOG|DETAIL):  (.*)$")
STATEMENT = re.compile(r"^(?:execute [^:]+|statement): (.*)$")


def statements(lines):
    """[pid, sql, {n: literal}] for each logged statement, in order; a DETAIL
    line belongs to the last statement of the same backend."""
    found, last = [], {}
    for line in lines:
        match = LINE.search(line)
        if not match:
            continue
        pid, kind, text = match.groups()
        if kind == "LOG":
            statement = STATEMENT.match(text)
            if statement:
                found.append([pid, statement.group(1), {}])
                last[pid] = found[-1]
        elif text.startswith("parameters: ") and pid in last:
            last[pid][2] = {int(n): v for n, v in PARAM.findall(text)}
    return found


def bind(sql, params):
    return re.sub(r"\$(\d+)\b", lambda m: params.get(int(m.group(1)), m.group(0)), sql)


def column(sql, params, table, n):
    """The value bound to the n-th (1-based) column of the row `sql` inserts
    into `table` (the statement may be a data-modifying CTE writing several
    tables), or None when it inserts nothing there."""
    at = sql.find(f'INSERT INTO "{table}"')
    # INSERT ... VALUES ($1, ...), or INSERT ... SELECT $1, ... FROM (a write
    # that a CTE of the same statement gates).
    values = re.compile(r"\) (?:VALUES \(([^)]*)\)|SELECT ([^()]*?) FROM )").search(sql, at) if at >= 0 else None
    if values is None:
        return None
    listed = values.group(1) if values.group(1) is not None else values.group(2)
    return params.get(int(listed.split(",")[n - 1].strip().lstrip("$")))


def inserted(sql, params, table):
    """The value bound to the first column of that row (its id)."""
    return column(sql, params, table, 1)


def main():
    capture, sessions = sys.argv[1], int(sys.argv[2])
    with open(capture, encoding="utf-8") as log:
        found = statements(log)
    # The backend that inserted the enrolment ran the transaction; before its
    # BEGIN, the idempotency look-up for the same trainee (any backend).
    insert = next((i for i, (_, sql, params) in enumerate(found) if inserted(sql, params, "enrolments")), None)
    if insert is None:
        sys.exit(f"ceiling.py: no enrolment INSERT in {capture}: did PostgreSQL log the statements "
                 "(log_statement, and the log file bench/run.sh reads)?")
    pid = found[insert][0]
    begin = max(i for i in range(insert) if found[i][0] == pid and found[i][1] == "BEGIN")
    commit = min(i for i in range(insert, len(found)) if found[i][0] == pid and found[i][1] == "COMMIT")
    lookup = [
        s for s in found[:begin]
        if '"idempotency_keys"' in s[1] and s[1].startswith("SELECT") and "'x-0'" in s[2].values()
    ][-1:]
    chosen = [(sql, params) for _, sql, params in lookup + [s for s in found[begin : commit + 1] if s[0] == pid]]

    bound = [(sql, bind(sql, params), params) for sql, params in chosen]
    def first(table):
        return next(v for sql, _, p in bound if (v := inserted(sql, p, table)) is not None)

    enrolment_id, history_id, session_id = first("enrolments"), first("enrolment_history"), first("session_seats")
    capacity = next(column(sql, p, "session_seats", 3) for sql, _, p in bound if inserted(sql, p, "session_seats"))

    def uuid(prefix, var):
        return f"('{prefix}' || lpad(to_hex(:{var}::bigint), 12, '0'))::uuid"

    replacements = [
        (enrolment_id, uuid("00000000-0000-4000-8000-", "n")),
        (history_id, uuid("00000000-0000-4000-9000-", "n")),
        (session_id, uuid("00000000-0000-4000-a000-", "s")),
        ("'x-0'", "('t-' || :n)"),
        ("'bench-0'", "('r-' || :n)"),
    ]
    print("-- The enrol transaction's SQL, as captured from the enrolments service")
    print("-- (bench/ceiling.py; see there for what varies per transaction).")
    print("\\set n random(1, 1000000000000)")
    print(f"\\set s random(1, {sessions})")
    for sql, text, _ in bound:
        for literal, variable in replacements:
            text = text.replace(literal, variable)
        if sql.startswith('INSERT INTO "session_seats"'):  # the seat row's upsert: room for every transaction
            text = text.replace(f", {capacity}, ", ", '1000000000', ", 1)
        print(text + ";")


if __name__ == "__main__":
    main()
