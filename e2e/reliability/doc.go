// Package reliability checks that nothing a tag reaches is lost whatever
// happens during a run: faults injected into every kind of driver call
// (faults_test.go), kills and signals of the built binary (kill_test.go),
// images pushed while gc runs (push_test.go), and read-only storage
// (readonly_test.go). REGPRUNE_STRESS=1 (make stress) runs the long
// variants.
package reliability
