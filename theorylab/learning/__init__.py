"""Learning theory: sample-complexity tasks (:mod:`theorylab.learning.dsd`)."""
