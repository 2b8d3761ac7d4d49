"""The comparator (pure): the signal rule, priced asks against the consensus, and the gate's policy."""
