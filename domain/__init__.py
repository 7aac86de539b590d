"""PKC's domain rules that more than one service applies: the service-level policy and the
staffing maths. Pure: no I/O, no frameworks; services, the CLI and the simulator import it."""
