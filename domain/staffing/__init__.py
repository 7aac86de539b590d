"""Staffing maths for PKC: operators needed for a service level, by Erlang C and Erlang A.

Pure functions (no I/O), used by reporting for reinforcement requests, by the simulator and by
`pkc staffing` (which reads forecasts and draws charts at its own edge). Import the submodules
(`domain.staffing.need`, `.erlang_a`, `.plan`): this package loads nothing itself, so reading
`domain.staffing.defaults` costs no numpy.
"""
