"""The SIP edge: kamailio in front of the engine (configuration in rootfs/etc/kamailio/)."""
