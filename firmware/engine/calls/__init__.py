"""Calls, one module per kind, each handed a host (`host.CallHost`) instead of the engine:

    inbound.py        a caller from a trunk: welcome, queue, agents rung, bridge, overflow, callback menu
    callback.py       a callback the ACD places: the agent's phone first, then the customer
    conference.py     a conference room of phones dialled in and live calls moved in
    voicemail.py      the caller's message recorded (an overflow destination)
    feature_call.py   an agent's phone that dialled a feature code (feature_codes.py, pure)
    monitor.py        a supervisor's phone on a live call
    common.py         what they share: prompts on a leg, the bridge through the media hub

A call talks to its legs only through `legs.Leg`, and to its record only through its `CallRecord`.
"""
