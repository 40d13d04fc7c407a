"""The RADIUS benchmark's parts (bench/radius.py is the entry point).

One module per job: the load (sessions and radclient packet files), the two load
generators (radclient, a paced latency client), the meters (CPU, RSS), server
processes, the PostgreSQL databases and their check, one module per server
(ours on PostgreSQL and on SQLite, three FreeRADIUS peers) and the report.
"""
