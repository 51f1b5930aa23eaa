package samltest

import (
	"fmt"
	"testing"

	"github.com/beevik/etree"
)

// XSW applies XML Signature Wrapping variant n (1–8) to a signed response,
// after SAML Raider's implementation of "On Breaking SAML": the signed
// element stays intact (so its digest still matches) but is moved where a
// careless SP will not read it, and an evil copy modified by evil takes its
// place.
//
//   - 1, 2 wrap the signed Response (it must carry a Response signature): the
//     evil Response becomes the root and keeps the original signature, with
//     the original Response inside that Signature (1) or before it (2).
//   - 3–8 wrap the signed Assertion (it must carry its own signature):
//     3 evil copy inserted before it; 4 evil copy that contains it; 5 the
//     original keeps its place and signature but is modified, and an
//     unmodified unsigned copy goes to the end of the Response; 6 as 5, with
//     the copy inside the original Signature; 7 evil copy inside an
//     Extensions element before it; 8 as 6, with the copy inside a ds:Object.
func XSW(t testing.TB, samlResponse string, n int, evil func(assertion *etree.Element)) string {
	t.Helper()
	return Edit(t, samlResponse, func(root *etree.Element) {
		switch n {
		case 1, 2:
			xswResponse(t, root, n, evil)
		case 3, 4, 5, 6, 7, 8:
			xswAssertion(t, root, n, evil)
		default:
			t.Fatalf("samltest: no XSW variant %d", n)
		}
	})
}

// EvilNameID is an XSW modification: the evil copy asserts nameID.
func EvilNameID(nameID string) func(*etree.Element) {
	return func(a *etree.Element) { SetText(a, "NameID", nameID) }
}

func xswResponse(t testing.TB, root *etree.Element, n int, evil func(*etree.Element)) {
	t.Helper()
	sig := directChild(root, "Signature")
	if sig == nil {
		t.Fatalf("samltest: XSW%d needs a signed Response", n)
	}
	original := root.Copy()
	if s := directChild(original, "Signature"); s != nil {
		original.RemoveChild(s)
	}
	// root becomes the evil Response: modified, with a new ID, still
	// carrying the original's signature.
	for _, a := range FindAll(root, "Assertion") {
		evil(a)
	}
	root.CreateAttr("ID", "_evil_response_ID")
	if n == 1 {
		sig.AddChild(original)
	} else {
		root.InsertChildAt(sig.Index(), original)
	}
}

func xswAssertion(t testing.TB, root *etree.Element, n int, evil func(*etree.Element)) {
	t.Helper()
	assertion := Find(root, "Assertion")
	if assertion == nil || directChild(assertion, "Signature") == nil {
		t.Fatalf("samltest: XSW%d needs a signed Assertion", n)
	}
	parent := assertion.Parent()
	unsignedCopy := func() *etree.Element {
		c := assertion.Copy()
		if s := directChild(c, "Signature"); s != nil {
			c.RemoveChild(s)
		}
		return c
	}
	switch n {
	case 3, 4, 7:
		evilCopy := unsignedCopy()
		evil(evilCopy)
		if n != 7 {
			evilCopy.CreateAttr("ID", "_evil_assertion_ID")
		}
		switch n {
		case 3:
			parent.InsertChildAt(assertion.Index(), evilCopy)
		case 4:
			parent.InsertChildAt(assertion.Index(), evilCopy)
			parent.RemoveChild(assertion)
			evilCopy.AddChild(assertion)
		case 7:
			ext := etree.NewElement("Extensions")
			ext.AddChild(evilCopy)
			parent.InsertChildAt(assertion.Index(), ext)
		}
	case 5, 6, 8:
		// The original, still holding the signature, is the evil one.
		original := unsignedCopy()
		sig := directChild(assertion, "Signature")
		evil(assertion)
		if n != 8 {
			assertion.CreateAttr("ID", "_evil_assertion_ID")
		}
		switch n {
		case 5:
			parent.AddChild(original)
		case 6:
			sig.AddChild(original)
		case 8:
			obj := etree.NewElement(sig.Space + ":Object")
			if sig.Space == "" {
				obj = etree.NewElement("Object")
			}
			obj.AddChild(original)
			sig.AddChild(obj)
		}
	}
}

// XSWName is the subtest name of variant n.
func XSWName(n int) string { return fmt.Sprintf("XSW%d", n) }
