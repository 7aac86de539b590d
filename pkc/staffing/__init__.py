"""`pkc staffing`'s edge: reading a forecast from CSV, printing the plan, drawing its chart.

The maths is domain.staffing; nothing here computes a staffing figure.
"""
